#include "template/output_parser.h"

#include <random>

#include "template/output_parser_impl.h"

namespace cria::tmpl {
namespace {

using detail::TaggedCallSyntax;

constexpr std::string_view kThinkOpen = "<think>";

class PassThrough final : public OutputParser {
 public:
  ParsedOutput push(std::string_view text) override {
    ParsedOutput out;
    out.content = text;
    return out;
  }
  ParsedOutput finish() override { return {}; }
};

// Thinking first; its content goes through the tool-call parser.
class Chain final : public OutputParser {
 public:
  Chain(std::unique_ptr<OutputParser> think, std::unique_ptr<OutputParser> tools)
      : think_(std::move(think)), tools_(std::move(tools)) {}

  ParsedOutput push(std::string_view text) override { return through(think_->push(text)); }

  ParsedOutput finish() override {
    ParsedOutput out = through(think_->finish());
    out.append(tools_->finish());
    return out;
  }

 private:
  ParsedOutput through(ParsedOutput first) {
    ParsedOutput out = tools_->push(first.content);
    out.thinking = std::move(first.thinking) + out.thinking;
    return out;
  }

  std::unique_ptr<OutputParser> think_;
  std::unique_ptr<OutputParser> tools_;
};

bool contains(std::string_view text, std::string_view s) {
  return text.find(s) != std::string_view::npos;
}

std::optional<OutputSyntax> builtin_syntax(std::string_view name) {
  struct Entry {
    std::string_view name;
    OutputSyntax syntax;
  };
  static const Entry kTable[] = {
      {"qwen2.5", {ToolSyntax::kHermes, false}},     {"qwen3", {ToolSyntax::kHermes, true}},
      {"smollm3", {ToolSyntax::kHermes, true}},      {"llama3.1", {ToolSyntax::kLlamaJson, false}},
      {"llama3.2", {ToolSyntax::kLlamaJson, false}}, {"mistral", {ToolSyntax::kMistral, false}},
      {"granite", {ToolSyntax::kGranite, false}},    {"deepseek-r1", {ToolSyntax::kDeepseek, true}},
      {"gpt-oss", {ToolSyntax::kHarmony, false}},
  };
  for (const auto& e : kTable)
    if (e.name == name) return e.syntax;
  return std::nullopt;
}

ToolSyntax tools_of_text(std::string_view t) {
  if (contains(t, "<|channel|>")) return ToolSyntax::kHarmony;
  if (contains(t, "<tool_call>")) return ToolSyntax::kHermes;
  if (contains(t, "[TOOL_CALLS]")) return ToolSyntax::kMistral;
  if (contains(t, "<|tool_call|>")) return ToolSyntax::kGranite;
  if (contains(t, "<｜tool▁call▁begin｜>")) return ToolSyntax::kDeepseek;
  if (contains(t, "<|python_tag|>")) return ToolSyntax::kLlamaJson;
  if (contains(t, "<|start_header_id|>") && contains(t, "\"parameters\"") && contains(t, ".Tools"))
    return ToolSyntax::kLlamaJson;
  return ToolSyntax::kNone;
}

std::optional<std::vector<ToolCall>> decode_hermes(std::string_view body) {
  return detail::calls_from_text(body);
}

// function<｜tool▁sep｜>NAME\n```json\n{...}\n```
std::optional<std::vector<ToolCall>> decode_deepseek(std::string_view body) {
  constexpr std::string_view kSep = "<｜tool▁sep｜>";
  size_t sep = body.find(kSep);
  if (sep == std::string_view::npos) return std::nullopt;
  std::string_view rest = body.substr(sep + kSep.size());
  size_t nl = rest.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  ToolCall c;
  c.name = std::string(detail::trim(rest.substr(0, nl)));
  std::string_view args = detail::trim(rest.substr(nl + 1));
  if (args.starts_with("```json")) args.remove_prefix(7);
  if (args.ends_with("```")) args.remove_suffix(3);
  Json j = Json::parse(detail::trim(args), nullptr, false);
  if (c.name.empty() || !j.is_object()) return std::nullopt;
  c.arguments = std::move(j);
  return std::vector<ToolCall>{std::move(c)};
}

std::unique_ptr<OutputParser> tools_parser(ToolSyntax tools, uint64_t seed) {
  switch (tools) {
    case ToolSyntax::kHermes:
      return detail::make_tagged_parser(
          TaggedCallSyntax{"<tool_call>", "</tool_call>", {}, decode_hermes}, seed);
    case ToolSyntax::kDeepseek:
      return detail::make_tagged_parser(
          TaggedCallSyntax{"<｜tool▁call▁begin｜>",
                           "<｜tool▁call▁end｜>",
                           {"<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>"},
                           decode_deepseek},
          seed);
    case ToolSyntax::kLlamaJson:
      return detail::make_llama_json_parser(seed);
    case ToolSyntax::kMistral:
      return detail::make_prefix_json_parser("[TOOL_CALLS]", seed);
    case ToolSyntax::kGranite:
      return detail::make_prefix_json_parser("<|tool_call|>", seed);
    case ToolSyntax::kHarmony:
    case ToolSyntax::kNone:
      break;
  }
  return nullptr;
}

}  // namespace

void ParsedOutput::append(ParsedOutput&& more) {
  content += more.content;
  thinking += more.thinking;
  for (auto& c : more.tool_calls) tool_calls.push_back(std::move(c));
}

OutputSyntax output_syntax(std::string_view builtin_name, std::string_view template_text) {
  if (auto s = builtin_syntax(builtin_name)) return *s;
  if (!builtin_name.empty() && builtin_name != "default") return {};
  OutputSyntax s;
  s.tools = tools_of_text(template_text);
  s.think_tags = s.tools != ToolSyntax::kHarmony && contains(template_text, kThinkOpen);
  return s;
}

std::optional<ToolCallShape> tool_call_shape(ToolSyntax syntax) {
  switch (syntax) {
    case ToolSyntax::kHermes:
      return ToolCallShape{"<tool_call>\n", "\n</tool_call>", "arguments", false};
    case ToolSyntax::kLlamaJson:
      return ToolCallShape{"", "", "parameters", false};
    case ToolSyntax::kMistral:
      return ToolCallShape{"[TOOL_CALLS]", "", "arguments", true};
    case ToolSyntax::kGranite:
      return ToolCallShape{"<|tool_call|>", "", "arguments", true};
    case ToolSyntax::kDeepseek:
    case ToolSyntax::kHarmony:
    case ToolSyntax::kNone:
      break;
  }
  return std::nullopt;
}

bool prompt_opens_thinking(std::string_view prompt) {
  return detail::trim_right(prompt).ends_with(kThinkOpen);
}

std::unique_ptr<OutputParser> make_output_parser(const OutputSyntax& syntax,
                                                 const ParserOptions& options) {
  uint64_t seed = options.id_seed;
  if (seed == 0) seed = (uint64_t{std::random_device{}()} << 32) | std::random_device{}();
  // Ollama: a thinking model thinks unless asked not to; think=false hides what it still says.
  bool emit_thinking = !options.think.is_set || options.think.enabled;
  if (syntax.tools == ToolSyntax::kHarmony) return detail::make_harmony_parser(emit_thinking, seed);
  std::unique_ptr<OutputParser> tools;
  if (options.has_tools) tools = tools_parser(syntax.tools, seed);
  if (!syntax.think_tags) return tools ? std::move(tools) : std::make_unique<PassThrough>();
  auto think = detail::make_think_parser(options, emit_thinking);
  if (!tools) return think;
  return std::make_unique<Chain>(std::move(think), std::move(tools));
}

}  // namespace cria::tmpl
