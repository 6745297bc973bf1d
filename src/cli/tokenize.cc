// `cria tokenize --model F [--no-bos] [--json] TEXT`: the token ids of TEXT,
// in-process. BOS/EOS follow the GGUF metadata unless --no-bos; special tokens
// written in TEXT are not parsed.
#include <cstdio>
#include <string>

#include <fmt/core.h>

#include "cli/commands.h"
#include "gguf/reader.h"
#include "tokenizer/tokenizer.h"

namespace cria::cli {

namespace {

struct TokenizeOptions {
  std::string model;
  std::string text;
  bool no_bos = false;
  bool json = false;
};

int tokenize_usage(const std::string& why) {
  std::fprintf(stderr,
               "Error: %s\n\nUsage:\n  cria tokenize --model PATH.gguf [--no-bos] [--json] TEXT\n",
               why.c_str());
  return 2;
}

}  // namespace

int cmd_tokenize(const Config& /*config*/, const Args& args) {
  TokenizeOptions opt;
  bool have_text = false;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--model" && i + 1 < args.size()) {
      opt.model = args[++i];
    } else if (args[i] == "--no-bos") {
      opt.no_bos = true;
    } else if (args[i] == "--json") {
      opt.json = true;
    } else if (!have_text && (args[i].empty() || args[i][0] != '-' || args[i] == "-")) {
      opt.text = args[i];
      have_text = true;
    } else {
      return tokenize_usage(fmt::format("unexpected argument '{}'", args[i]));
    }
  }
  if (opt.model.empty()) return tokenize_usage("tokenize needs --model PATH");
  if (!have_text) return tokenize_usage("tokenize needs the TEXT to tokenize");
  auto file = gguf::File::open(opt.model);
  if (!file.ok()) return std::fprintf(stderr, "Error: %s\n", file.error().message.c_str()), 1;
  auto tok = tokenizer::Tokenizer::from_gguf(*file);
  if (!tok.ok()) return std::fprintf(stderr, "Error: %s\n", tok.error().message.c_str()), 1;
  tokenizer::EncodeOptions enc;
  if (opt.no_bos) enc.add_bos = false;
  const auto ids = tok->encode(opt.text, enc);
  std::string out = opt.json ? "[" : "";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += opt.json ? "," : " ";
    out += std::to_string(ids[i]);
  }
  if (opt.json) out += "]";
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace cria::cli
