// `cria generate --model F [--temperature T] [-n N] [--tokens] [--ignore-eos]
//                [--seed S] [--ctx N] [--prompt-tokens "1 2 3" | PROMPT]`
// Generates in-process (no server). Prints the text as it is generated, or with
// --tokens the generated ids as a JSON array. Stops at an end-of-generation
// token unless --ignore-eos, after N tokens, or when the context is full.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/engine_config.h"
#include "cli/flags.h"
#include "engine/runner/context.h"
#include "sampler/sampler.h"
#include "tokenizer/tokenizer.h"

namespace cria::cli {

namespace {

constexpr const char* kUsage =
    "cria generate --model PATH.gguf [--temperature 0.8] [-n 128] [--tokens] [--ignore-eos]\n"
    "                [--seed S] [--top-k K] [--top-p P] [--ctx N] [--prompt-tokens \"1 2 3\" | "
    "PROMPT]";

struct GenerateOptions {
  std::string model;
  std::string prompt;
  std::string prompt_tokens;
  int64_t n_predict = 128;
  int64_t n_ctx = 2048;
  bool print_tokens = false;
  bool ignore_eos = false;
  SamplerOptions sampling;
};

Status parse_flag(Flags& f, GenerateOptions& o, bool& have_prompt) {
  auto number = [&](const char* name, auto& dst) -> std::optional<Status> {
    auto v = f.take(name);
    if (!v) return std::nullopt;
    using T = std::decay_t<decltype(dst)>;
    if constexpr (std::is_floating_point_v<T>) {
      CRIA_ASSIGN_OR_RETURN(double d, parse_float(name, *v));
      dst = static_cast<T>(d);
    } else {
      CRIA_ASSIGN_OR_RETURN(int64_t i, parse_int(name, *v));
      dst = static_cast<T>(i);
    }
    return Status{};
  };
  if (auto v = f.take("--model")) return o.model = *v, Status{};
  if (auto v = f.take("--prompt-tokens")) return o.prompt_tokens = *v, Status{};
  if (f.take_switch("--tokens")) return o.print_tokens = true, Status{};
  if (f.take_switch("--ignore-eos")) return o.ignore_eos = true, Status{};
  if (auto s = number("--temperature", o.sampling.temperature)) return *s;
  if (auto s = number("--top-p", o.sampling.top_p)) return *s;
  if (auto s = number("--min-p", o.sampling.min_p)) return *s;
  if (auto s = number("--repeat-penalty", o.sampling.repeat_penalty)) return *s;
  if (auto s = number("--top-k", o.sampling.top_k)) return *s;
  if (auto s = number("--seed", o.sampling.seed)) return *s;
  if (auto s = number("-n", o.n_predict)) return *s;
  if (auto s = number("--num-predict", o.n_predict)) return *s;
  if (auto s = number("--ctx", o.n_ctx)) return *s;
  if (!have_prompt && (f.peek().empty() || f.peek()[0] != '-')) {
    o.prompt = f.next();
    have_prompt = true;
    return {};
  }
  return make_error(Errc::kInvalidArgument, fmt::format("unexpected argument '{}'", f.peek()));
}

Result<GenerateOptions> parse(const Args& args) {
  GenerateOptions o;
  bool have_prompt = false;
  Flags f(args);
  while (!f.done()) CRIA_RETURN_IF_ERROR(parse_flag(f, o, have_prompt));
  if (o.model.empty()) return make_error(Errc::kInvalidArgument, "generate needs --model PATH");
  if (have_prompt == !o.prompt_tokens.empty()) {
    return make_error(Errc::kInvalidArgument, "give either PROMPT or --prompt-tokens");
  }
  if (o.n_ctx < 8) return make_error(Errc::kInvalidArgument, "--ctx must be at least 8");
  CRIA_RETURN_IF_ERROR(validate(o.sampling));
  return o;
}

// The generation loop: prompt in one batch, then one token per decode.
Status run(const GenerateOptions& o, engine::Context& ctx, const tokenizer::Tokenizer& tok,
           std::vector<int32_t> prompt) {
  CRIA_ASSIGN_OR_RETURN(Sampler sampler,
                        Sampler::create(o.sampling, ctx.info().n_vocab, ctx.options().n_ctx));
  for (int32_t t : prompt) sampler.accept(t);
  tokenizer::StreamDecoder text(tok, {.strip_leading_space = false});
  std::vector<int32_t> generated;
  std::span<const int32_t> input = prompt;
  int32_t next = 0;
  int64_t n_past = 0;
  for (int64_t i = 0; o.n_predict < 0 || i < o.n_predict; ++i) {
    if (n_past + static_cast<int64_t>(input.size()) > ctx.options().n_ctx) break;
    CRIA_ASSIGN_OR_RETURN(engine::Logits logits, ctx.decode({.tokens = input}));
    n_past += static_cast<int64_t>(input.size());
    next = sampler.sample(logits.row(0));
    sampler.accept(next);
    if (!o.ignore_eos && tok.is_eog(next)) break;
    generated.push_back(next);
    if (!o.print_tokens) {
      std::fputs(text.push(next).c_str(), stdout);
      std::fflush(stdout);
    }
    input = {&next, 1};
  }
  if (o.print_tokens) {
    std::string out = "[";
    for (size_t i = 0; i < generated.size(); ++i)
      out += (i ? "," : "") + std::to_string(generated[i]);
    std::printf("%s]\n", out.c_str());
  } else {
    std::printf("%s\n", text.flush().c_str());
  }
  return {};
}

}  // namespace

int cmd_generate(const Config& config, const Args& args) {
  auto o = parse(args);
  if (!o.ok()) return usage_error(o.error().message, kUsage);
  auto model = open_local_model(o->model);
  if (!model.ok()) return fail(model.error());
  const tokenizer::Tokenizer& tok = model->tok;
  std::vector<int32_t> prompt;
  if (!o->prompt_tokens.empty()) {
    auto ids = parse_token_list("--prompt-tokens", o->prompt_tokens);
    if (!ids.ok()) return fail(ids.error());
    prompt = std::move(ids).value();
  } else {
    prompt = tok.encode(o->prompt);
  }
  if (prompt.empty()) return usage_error("the prompt has no tokens", kUsage);
  engine::ContextOptions copt = context_options(config);
  copt.n_ctx = static_cast<int32_t>(o->n_ctx);
  auto ctx = engine::Context::create(model->file, copt);
  if (!ctx.ok()) return fail(ctx.error());
  Status st = run(*o, **ctx, tok, std::move(prompt));
  return st.ok() ? 0 : fail(st.error());
}

}  // namespace cria::cli
