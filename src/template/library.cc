#include "template/library.h"

#include <string>

#include "template/library_texts.h"

namespace cria::tmpl {
namespace {

// How a Jinja chat template is recognised: every `all` substring present. First match wins, so
// the more specific entries come first.
struct Signature {
  std::string_view name;
  std::vector<std::string_view> all;
};

const std::vector<Signature>& signatures() {
  static const std::vector<Signature> kTable = {
      {"gpt-oss", {"<|channel|>", "<|start|>"}},
      {"deepseek-r1", {"<｜Assistant｜>", "<｜User｜>"}},
      {"smollm3", {"<|im_start|>", "Reasoning Mode"}},
      {"qwen3", {"<|im_start|>", "<tool_response>", "reasoning_content"}},
      {"qwen2.5", {"<|im_start|>", "<tool_call>"}},
      {"granite", {"<|start_of_role|>"}},
      {"llama3.2", {"<|start_header_id|>", "Cutting Knowledge Date", "strftime_now"}},
      {"llama3.1", {"<|start_header_id|>", "Cutting Knowledge Date"}},
      {"llama3", {"<|start_header_id|>"}},
      {"mistral", {"[INST]", "[TOOL_CALLS]"}},
      {"llama2", {"[INST]", "<<SYS>>"}},
      {"mistral", {"[INST]"}},
      {"gemma", {"<start_of_turn>"}},
      {"phi3", {"<|assistant|>", "<|end|>"}},
      {"zephyr", {"<|assistant|>", "eos_token"}},
      {"chatml", {"<|im_start|>"}},
  };
  return kTable;
}

std::string joined(const char* a, const char* b) {
  return std::string(a) + b;
}

const std::vector<BuiltinTemplate>& table() {
  static const std::string llama31 = joined(texts::kLlama31Date, texts::kLlama31Body);
  static const std::string llama32 = joined(texts::kLlama32Date, texts::kLlama31Body);
  static const std::vector<BuiltinTemplate> kTemplates = {
      {"default", "{{ .Prompt }}", {}},
      {"chatml", texts::kChatml, {"<|im_start|>", "<|im_end|>"}},
      {"qwen2.5", texts::kQwen25, {"<|im_start|>", "<|im_end|>"}},
      {"qwen3", texts::kQwen3, {"<|im_start|>", "<|im_end|>"}},
      {"smollm3", texts::kSmollm3, {"<|im_start|>", "<|im_end|>"}},
      {"llama2", texts::kLlama2, {"[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"}},
      {"llama3", texts::kLlama3, {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}},
      {"llama3.1", llama31, {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}},
      {"llama3.2", llama32, {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"}},
      {"mistral", texts::kMistral, {"[INST]", "[/INST]"}},
      {"gemma", texts::kGemma, {"<start_of_turn>", "<end_of_turn>"}},
      {"phi3", texts::kPhi3, {"<|end|>", "<|user|>", "<|assistant|>"}},
      {"zephyr", texts::kZephyr, {"<|system|>", "</s>", "<|user|>", "<|assistant|>"}},
      {"granite", texts::kGranite, {"<|end_of_text|>", "<|start_of_role|>"}},
      {"deepseek-r1",
       texts::kDeepseekR1,
       {"<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>"}},
      {"gpt-oss", texts::kGptOss, {}},
  };
  return kTemplates;
}

}  // namespace

std::span<const BuiltinTemplate> builtin_templates() {
  return table();
}

const BuiltinTemplate* find_builtin(std::string_view name) {
  for (const auto& t : table())
    if (t.name == name) return &t;
  return nullptr;
}

TemplateChoice pick_template(std::string_view jinja) {
  for (const auto& sig : signatures()) {
    bool all = true;
    for (auto s : sig.all) all = all && jinja.find(s) != std::string_view::npos;
    if (!all) continue;
    const BuiltinTemplate* t = find_builtin(sig.name);
    return TemplateChoice{std::string(t->name), std::string(t->text), false};
  }
  const BuiltinTemplate* t = find_builtin("default");
  return TemplateChoice{std::string(t->name), std::string(t->text), true};
}

}  // namespace cria::tmpl
