// `cria embed --model F [--json] [--ctx N] TEXT`: the pooled, L2-normalised embedding of
// TEXT from an embedding model (BERT), in-process, as /api/embed computes it. Prints the
// values one per line, or with --json as a JSON array.
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "api/embed.h"
#include "cli/commands.h"
#include "cli/engine_config.h"
#include "cli/flags.h"
#include "engine/runner/context.h"
#include "tokenizer/tokenizer.h"

namespace cria::cli {

namespace {

constexpr const char* kUsage = "cria embed --model PATH.gguf [--json] [--ctx N] TEXT";

struct EmbedOptions {
  std::string model;
  std::string text;
  int64_t n_ctx = 512;
  bool json = false;
};

Result<EmbedOptions> parse(const Args& args) {
  EmbedOptions o;
  bool have_text = false;
  Flags f(args);
  while (!f.done()) {
    if (auto v = f.take("--model")) {
      o.model = *v;
    } else if (f.take_switch("--json")) {
      o.json = true;
    } else if (auto n = f.take("--ctx")) {
      CRIA_ASSIGN_OR_RETURN(o.n_ctx, parse_int("--ctx", *n));
    } else if (!have_text && (f.peek().empty() || f.peek()[0] != '-')) {
      o.text = f.next();
      have_text = true;
    } else {
      return make_error(Errc::kInvalidArgument, fmt::format("unexpected argument '{}'", f.peek()));
    }
  }
  if (o.model.empty()) return make_error(Errc::kInvalidArgument, "embed needs --model PATH");
  if (!have_text) return make_error(Errc::kInvalidArgument, "embed needs the TEXT to embed");
  if (o.n_ctx < 8) return make_error(Errc::kInvalidArgument, "--ctx must be at least 8");
  return o;
}

void print(const std::vector<float>& v, bool json) {
  std::string out = json ? "[" : "";
  for (size_t i = 0; i < v.size(); ++i) {
    if (i > 0) out += json ? "," : "\n";
    out += fmt::format("{:.9g}", v[i]);
  }
  if (json) out += "]";
  std::printf("%s\n", out.c_str());
}

}  // namespace

int cmd_embed(const Config& config, const Args& args) {
  auto o = parse(args);
  if (!o.ok()) return usage_error(o.error().message, kUsage);
  auto model = open_local_model(o->model);
  if (!model.ok()) return fail(model.error());
  const tokenizer::Tokenizer& tok = model->tok;
  const std::vector<std::vector<int32_t>> inputs = {tok.encode(o->text)};
  engine::ContextOptions copt = context_options(config);
  copt.n_ctx = static_cast<int32_t>(o->n_ctx);
  copt.n_batch = copt.n_ctx;
  auto ctx = engine::Context::create(model->file, copt);
  if (!ctx.ok()) return fail(ctx.error());
  auto pooled = (*ctx)->embed(inputs);
  if (!pooled.ok()) return fail(pooled.error());
  std::vector<float>& v = (*pooled)[0];
  if (Status s = api::normalize_embedding(v); !s.ok()) return fail(s.error());
  print(v, o->json);
  return 0;
}

}  // namespace cria::cli
