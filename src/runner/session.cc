#include "runner/session.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "runner/stop.h"
#include "sampler/sampler.h"

namespace cria::runner {

namespace {

using Clock = std::chrono::steady_clock;

SamplerOptions sampler_options(const api::Options& o) {
  SamplerOptions s;
  s.temperature = static_cast<float>(o.temperature);
  s.top_k = static_cast<int32_t>(std::clamp<int64_t>(o.top_k, -1, INT32_MAX));
  s.top_p = static_cast<float>(o.top_p);
  s.min_p = static_cast<float>(o.min_p);
  s.typical_p = static_cast<float>(o.typical_p);
  s.repeat_penalty = static_cast<float>(o.repeat_penalty);
  s.repeat_last_n = static_cast<int32_t>(std::clamp<int64_t>(o.repeat_last_n, -1, INT32_MAX));
  s.presence_penalty = static_cast<float>(o.presence_penalty);
  s.frequency_penalty = static_cast<float>(o.frequency_penalty);
  s.seed = o.seed;
  return s;
}

}  // namespace

Session::Session(std::shared_ptr<const gguf::File> file, tokenizer::Tokenizer tok,
                 std::unique_ptr<engine::Context> ctx)
    : file_(std::move(file)), tok_(std::move(tok)), ctx_(std::move(ctx)) {}

Result<std::unique_ptr<Session>> Session::load(const std::string& model_path,
                                               const engine::ContextOptions& options) {
  CRIA_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(model_path));
  auto shared = std::make_shared<const gguf::File>(std::move(file));
  CRIA_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::from_gguf(*shared));
  CRIA_ASSIGN_OR_RETURN(auto ctx, engine::Context::create(shared, options));
  return std::unique_ptr<Session>(new Session(shared, std::move(tok), std::move(ctx)));
}

std::vector<int32_t> Session::tokenize(std::string_view text, bool add_special) const {
  tokenizer::EncodeOptions opts;
  opts.add_special = add_special;
  opts.parse_special = true;
  return tok_.encode(text, opts);
}

std::string Session::detokenize(std::span<const int32_t> ids) const {
  return tok_.decode(ids, {.render_special = false, .strip_leading_space = false});
}

std::vector<int32_t> Session::prompt_tokens(const CompletionParams& p) const {
  std::vector<int32_t> tokens = p.context;
  std::vector<int32_t> more = tokenize(p.prompt, p.context.empty());
  tokens.insert(tokens.end(), more.begin(), more.end());
  const auto n_ctx = static_cast<size_t>(ctx_->options().n_ctx);
  if (tokens.size() >= n_ctx) {
    size_t keep =
        std::min<size_t>(static_cast<size_t>(std::max<int64_t>(p.options.num_keep, 0)), n_ctx / 2);
    size_t discard = tokens.size() - n_ctx + 1;
    log::warn("truncating input prompt: {} tokens, context {}, keeping {}", tokens.size(), n_ctx,
              keep);
    tokens.erase(tokens.begin() + static_cast<std::ptrdiff_t>(keep),
                 tokens.begin() + static_cast<std::ptrdiff_t>(keep + discard));
  }
  return tokens;
}

Result<engine::Logits> Session::ingest(const std::vector<int32_t>& tokens) {
  size_t common = 0;
  while (common < cached_.size() && common < tokens.size() && cached_[common] == tokens[common])
    ++common;
  if (common == tokens.size()) --common;  // the last token is evaluated again for its logits
  CRIA_RETURN_IF_ERROR(ctx_->remove(0, static_cast<int32_t>(common), -1));
  cached_.resize(common);
  std::span<const int32_t> rest(tokens.data() + common, tokens.size() - common);
  auto logits = ctx_->decode({.tokens = rest});
  if (!logits.ok()) {
    ctx_->clear();
    cached_.clear();
    return logits;
  }
  cached_.insert(cached_.end(), rest.begin(), rest.end());
  log::debug("prompt: {} tokens, {} from the cache", tokens.size(), common);
  return logits;
}

Status Session::shift(int32_t n_keep) {
  const auto n_past = static_cast<int32_t>(cached_.size());
  n_keep = std::clamp(n_keep, 0, n_past - 2);
  const int32_t n_discard = (n_past - n_keep) / 2;
  CRIA_RETURN_IF_ERROR(ctx_->shift_context(0, n_keep, n_discard));
  cached_.erase(cached_.begin() + n_keep, cached_.begin() + n_keep + n_discard);
  return {};
}

Result<CompletionResult> Session::complete(const CompletionParams& p, const EmitFn& emit) {
  CompletionResult r;
  std::vector<int32_t> tokens = prompt_tokens(p);
  if (tokens.empty()) return make_error(Errc::kInvalidArgument, "the prompt has no tokens");
  const int32_t n_ctx = ctx_->options().n_ctx;
  CRIA_ASSIGN_OR_RETURN(Sampler sampler,
                        Sampler::create(sampler_options(p.options), tok_.n_vocab(), n_ctx));
  for (int32_t t : tokens) sampler.accept(t);
  auto t0 = Clock::now();
  CRIA_ASSIGN_OR_RETURN(engine::Logits logits, ingest(tokens));
  r.prompt_eval_count = static_cast<int64_t>(tokens.size());
  r.prompt_eval = Clock::now() - t0;
  tokenizer::StreamDecoder text(tok_);
  StopMatcher stops(p.options.stop);
  const auto n_keep = static_cast<int32_t>(std::min<int64_t>(p.options.num_keep, n_ctx / 2));
  auto t1 = Clock::now();
  for (;;) {
    if (p.options.num_predict >= 0 && r.eval_count >= p.options.num_predict) {
      r.done_reason = "length";
      break;
    }
    int32_t next = sampler.sample(logits.row(0));
    sampler.accept(next);
    if (tok_.is_eog(next)) {
      r.done_reason = "stop";
      break;
    }
    ++r.eval_count;
    std::string piece = stops.push(text.push(next));
    if (!emit(piece)) break;
    if (stops.stopped()) {
      r.done_reason = "stop";
      break;
    }
    if (static_cast<int32_t>(cached_.size()) >= n_ctx) CRIA_RETURN_IF_ERROR(shift(n_keep));
    auto out = ctx_->decode({.tokens = {&next, 1}});
    if (!out.ok()) {
      ctx_->clear();
      cached_.clear();
      return std::move(out).error();
    }
    logits = *out;
    cached_.push_back(next);
  }
  if (!r.done_reason.empty()) {
    std::string tail = stops.push(text.flush());
    tail += stops.flush();
    if (!tail.empty()) emit(tail);
  }
  r.eval = Clock::now() - t1;
  r.context = cached_;
  return r;
}

}  // namespace cria::runner
