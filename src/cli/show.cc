// `cria show --file F.gguf [--verbose]`: what `ollama show` prints for a model.
#include <cstdio>

#include <fmt/core.h>

#include "base/format.h"
#include "cli/commands.h"
#include "cli/table.h"
#include "gguf/reader.h"
#include "gguf/summary.h"

namespace cria::cli {

namespace {

constexpr size_t kMaxArrayItems = 8;  // --verbose shows long arrays abbreviated

struct ShowOptions {
  std::string file;
  bool verbose = false;
};

Section model_section(const gguf::ModelSummary& s) {
  Section sec{"Model", {}};
  auto row = [&](const char* k, std::string v) { sec.rows.emplace_back(k, std::move(v)); };
  if (!s.architecture.empty()) row("architecture", s.architecture);
  row("parameters",
      s.parameter_count > 0 ? human_number(s.parameter_count) : "none (vocabulary only)");
  if (s.context_length) row("context length", std::to_string(*s.context_length));
  if (s.embedding_length) row("embedding length", std::to_string(*s.embedding_length));
  if (!s.quantization.empty()) row("quantization", s.quantization);
  if (!s.tokenizer_model.empty()) {
    std::string tok = s.tokenizer_model;
    if (!s.tokenizer_pre.empty()) tok += " (" + s.tokenizer_pre + ")";
    if (s.vocab_size > 0) tok += fmt::format(", {} tokens", s.vocab_size);
    row("tokenizer", tok);
  }
  row("chat template", s.has_chat_template ? "yes" : "no");
  return sec;
}

Section metadata_section(const gguf::File& file, const gguf::ModelSummary& s) {
  Section sec{"Metadata", {}};
  if (file.find("general.parameter_count") == nullptr) {
    sec.rows.emplace_back("general.parameter_count", std::to_string(s.parameter_count));
  }
  for (const auto& kv : file.metadata()) {
    sec.rows.emplace_back(std::string(kv.key), gguf::to_display(kv.value, kMaxArrayItems));
  }
  return sec;
}

Section tensors_section(const gguf::File& file) {
  Section sec{"Tensors", {}};
  for (const auto& t : file.tensors()) {
    std::string shape = "[";
    for (uint32_t d = 0; d < t.n_dims; ++d) shape += (d ? " " : "") + std::to_string(t.ne[d]);
    sec.rows.emplace_back(std::string(t.name),
                          fmt::format("{:<8}{}]", gguf::tensor_type_display(t.type), shape));
  }
  return sec;
}

int usage(const char* why) {
  std::fprintf(stderr,
               "Error: %s\n\nUsage:\n  cria show MODEL [--license|--modelfile|--parameters|"
               "--system|--template] [--verbose]\n  cria show --file PATH.gguf [--verbose]\n\n"
               "Show facts about a model in the store, or about a GGUF model file.\n",
               why);
  return 2;
}

}  // namespace

int cmd_show(const Config& config, const Args& args) {
  ShowOptions opt;
  bool has_file = false;
  for (const auto& a : args) has_file = has_file || a == "--file" || a.rfind("--file=", 0) == 0;
  if (!has_file) return show_model(config, args);
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--file" && i + 1 < args.size()) {
      opt.file = args[++i];
    } else if (args[i].rfind("--file=", 0) == 0) {
      opt.file = args[i].substr(7);
    } else if (args[i] == "--verbose" || args[i] == "-v") {
      opt.verbose = true;
    } else {
      return usage(fmt::format("unexpected argument '{}'", args[i]).c_str());
    }
  }
  if (opt.file.empty()) return usage("show needs --file PATH");
  auto file = gguf::File::open(opt.file);
  if (!file.ok()) {
    std::fprintf(stderr, "Error: %s\n", file.error().message.c_str());
    return 1;
  }
  const gguf::ModelSummary s = gguf::summarize(*file);
  std::vector<Section> sections = {model_section(s)};
  Section caps{"Capabilities", {}};
  for (const auto& c : s.capabilities) caps.rows.emplace_back("", c);
  sections.push_back(caps);
  if (!s.license.empty()) sections.push_back(lines_section("License", s.license, 2));
  if (opt.verbose) {
    sections.push_back(metadata_section(*file, s));
    sections.push_back(tensors_section(*file));
  }
  std::fputs(render(sections).c_str(), stdout);
  return 0;
}

}  // namespace cria::cli
