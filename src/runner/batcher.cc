#include "runner/batcher.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <utility>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/models/registry.h"

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

size_t common_prefix(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t n = 0;
  while (n < a.size() && n < b.size() && a[n] == b[n]) ++n;
  return n;
}

}  // namespace

struct Batcher::Slot {
  int32_t seq = 0;
  std::vector<int32_t> cached;  // tokens in this sequence's cells, in position order
  uint64_t last_used = 0;
  bool shares_cells = false;  // copy_prefix gave it, or took from it, shared cells (unified KV)

  // The request being served; null when the slot is free (its cells stay cached).
  std::shared_ptr<Job> job;
  std::vector<int32_t> pending;  // prompt tokens still to evaluate
  size_t pending_at = 0;
  bool generating = false;
  int32_t next = 0;  // the last sampled token, fed in the next step
  int64_t limit = 0;
  int32_t n_keep = 0;
  std::optional<Sampler> sampler;
  std::optional<GrammarSampler> grammar;  // when the request has a format
  std::optional<tokenizer::StreamDecoder> text;
  std::optional<StopMatcher> stops;
  std::vector<StepLogprobs> logprobs;  // when asked for: of tokens not yet in a Piece
  CompletionResult result;
  Clock::time_point t_start, t_first;
};

Batcher::Batcher(std::shared_ptr<const gguf::File> file, tokenizer::Tokenizer tok,
                 std::unique_ptr<engine::Context> ctx, ComputeGate gate, int parallel,
                 int32_t n_ctx_seq)
    : file_(std::move(file)),
      tok_(std::move(tok)),
      ctx_(std::move(ctx)),
      gate_(std::move(gate)),
      n_ctx_seq_(n_ctx_seq) {
  for (int i = 0; i < parallel; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->seq = i;
  }
  const auto n_batch = static_cast<size_t>(ctx_->options().n_batch);
  b_tokens_.reserve(n_batch);
  b_seqs_.reserve(n_batch);
  b_logits_.reserve(n_batch);
  b_slot_.reserve(n_batch);
  thread_ = std::thread([this] { loop(); });
}

Batcher::~Batcher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<std::unique_ptr<Batcher>> Batcher::load(const BatcherOptions& o) {
  CRIA_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(o.model_path));
  auto shared = std::make_shared<const gguf::File>(std::move(file));
  CRIA_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::from_gguf(*shared));
  engine::ContextOptions copt = o.context;
  CRIA_ASSIGN_OR_RETURN(auto model, engine::load_model(shared, {.use_mmap = copt.use_mmap,
                                                                .cpu_repack = copt.cpu_repack,
                                                                .on_progress = o.on_progress}));
  const int parallel = std::max(1, o.parallel);
  int32_t per_seq = copt.n_ctx;
  if (int32_t train = model->info().n_ctx_train; train > 0 && per_seq > train) {
    log::warn("num_ctx {} is more than the model was trained for ({}): using {}", per_seq, train,
              train);
    per_seq = train;
  }
  if (model->info().is_embedding()) {
    // Each input of a forward pass is a sequence of its own, and all of an input's tokens
    // are in one pass (its attention is not causal).
    copt.n_seq = kEmbedSequences;
    copt.n_batch = std::max(copt.n_batch, per_seq);
    copt.n_ctx = copt.n_batch;
  } else {
    // Every sequence gets n_ctx positions in a KV stream of its own: the cache holds n_ctx x
    // parallel cells, and a sequence attends only its own (a shared prefix is copied).
    copt.n_seq = parallel;
    copt.n_ctx = per_seq * parallel;
    copt.kv_streams = true;
  }
  CRIA_ASSIGN_OR_RETURN(auto ctx, engine::Context::create(std::move(model), copt));
  CRIA_ASSIGN_OR_RETURN(ComputeGate gate, ComputeGate::open(o.compute_lock));
  return std::unique_ptr<Batcher>(
      new Batcher(shared, std::move(tok), std::move(ctx), std::move(gate), parallel, per_seq));
}

std::vector<int32_t> Batcher::tokenize(std::string_view text, bool add_special) const {
  tokenizer::EncodeOptions opts;
  opts.add_special = add_special;
  opts.parse_special = true;
  return tok_.encode(text, opts);
}

std::string Batcher::detokenize(std::span<const int32_t> ids) const {
  return tok_.decode(ids, {.render_special = false, .strip_leading_space = false});
}

std::vector<int32_t> Batcher::prompt_tokens(const CompletionParams& p) const {
  std::vector<int32_t> tokens = p.context;
  std::vector<int32_t> more = tokenize(p.prompt, p.context.empty());
  tokens.insert(tokens.end(), more.begin(), more.end());
  const auto n_ctx = static_cast<size_t>(n_ctx_seq_);
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

void Batcher::submit(std::shared_ptr<Job> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_.push_back(std::move(job));
  }
  cv_.notify_all();
}

struct Batcher::EmbedTask {
  std::vector<std::vector<int32_t>> inputs;
  std::promise<Result<std::vector<std::vector<float>>>> done;
};

Result<EmbedResult> Batcher::embed(const std::vector<std::string>& texts, bool truncate) {
  if (!is_embedding()) {
    return make_error(Errc::kUnsupported, "this model does not support embeddings");
  }
  auto task = std::make_shared<EmbedTask>();
  EmbedResult result;
  const auto limit = static_cast<size_t>(n_ctx_seq_);
  for (const std::string& text : texts) {
    std::vector<int32_t> ids = tokenize(text, true);
    if (ids.size() > limit) {
      if (!truncate) {
        return make_error(Errc::kInvalidArgument,
                          fmt::format("input exceeds maximum context length: {} tokens, the "
                                      "context is {}",
                                      ids.size(), limit));
      }
      ids.resize(limit);
    }
    result.prompt_eval_count += static_cast<int64_t>(ids.size());
    task->inputs.push_back(std::move(ids));
  }
  auto future = task->done.get_future();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return make_error(Errc::kUnavailable, "the runner is stopping");
    embeds_.push_back(task);
  }
  cv_.notify_all();
  CRIA_ASSIGN_OR_RETURN(result.embeddings, future.get());
  return result;
}

void Batcher::run_embeds() {
  for (;;) {
    std::shared_ptr<EmbedTask> task;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (embeds_.empty()) return;
      task = std::move(embeds_.front());
      embeds_.pop_front();
    }
    ComputeGate::Turn turn(gate_);
    task->done.set_value(ctx_->embed(task->inputs));
  }
}

void Batcher::loop() {
  for (;;) {
    bool busy = std::any_of(slots_.begin(), slots_.end(), [](auto& s) { return s->job; });
    if (!busy && times_.steps > 0) log_times();
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (!busy) {
        cv_.wait(lock, [&] { return stopping_ || !waiting_.empty() || !embeds_.empty(); });
      }
      if (stopping_) break;
    }
    run_embeds();
    const auto t0 = Clock::now();
    const auto decode0 = times_.decode;
    assign_jobs();
    Status st = step();
    times_.host += Clock::now() - t0 - (times_.decode - decode0);
    if (!st.ok()) {
      log::warn("batch failed: {}", st.error().message);
      for (auto& s : slots_)
        if (s->job) finish(*s, st.error());
      ctx_->clear();
      for (auto& s : slots_) s->cached.clear();
    }
  }
  for (auto& s : slots_)
    if (s->job) finish(*s, make_error(Errc::kUnavailable, "the runner is stopping"));
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& task : embeds_) {
    task->done.set_value(make_error(Errc::kUnavailable, "the runner is stopping"));
  }
  embeds_.clear();
}

void Batcher::log_times() {
  using Ms = std::chrono::duration<double, std::milli>;
  const double decode = Ms(times_.decode).count(), host = Ms(times_.host).count();
  log::debug("batcher: {} steps, decode {:.1f} ms, around it {:.1f} ms ({:.1f}% of the time)",
             times_.steps, decode, host, 100.0 * host / std::max(1e-9, decode + host));
  times_ = StepTimes{};
}

void Batcher::assign_jobs() {
  for (;;) {
    // The free slot whose cached tokens share the longest prefix, else the least recently used.
    auto free_slot = std::find_if(slots_.begin(), slots_.end(), [](auto& s) { return !s->job; });
    if (free_slot == slots_.end()) return;
    std::shared_ptr<Job> job;
    {
      std::lock_guard<std::mutex> lock(mu_);
      while (!waiting_.empty() && !job) {
        job = std::move(waiting_.front());
        waiting_.pop_front();
        if (job->cancelled) job.reset();
      }
    }
    if (!job) return;
    Slot* best = nullptr;
    size_t best_len = 0;
    for (auto& s : slots_) {
      if (s->job) continue;
      size_t len = common_prefix(s->cached, job->tokens);
      if (!best || len > best_len || (len == best_len && s->last_used < best->last_used)) {
        best = s.get();
        best_len = len;
      }
    }
    if (Status st = start(*best, job); !st.ok()) {
      job->push(st.error());
      best->job.reset();
    }
  }
}

void Batcher::reuse_prefix(Slot& slot, const std::vector<int32_t>& tokens) {
  size_t own = common_prefix(slot.cached, tokens);
  Slot* donor = nullptr;
  size_t donor_len = own;
  for (auto& other : slots_) {
    if (other.get() == &slot) continue;
    size_t len = common_prefix(other->cached, tokens);
    if (len > donor_len) {
      donor = other.get();
      donor_len = len;
    }
  }
  size_t keep = own;
  if (donor) {
    (void)ctx_->remove(slot.seq, 0, -1);
    Status st = ctx_->copy_prefix(donor->seq, slot.seq, static_cast<int32_t>(donor_len));
    if (st.ok()) {
      slot.cached.assign(tokens.begin(), tokens.begin() + static_cast<std::ptrdiff_t>(donor_len));
      // With a stream per sequence the prefix was copied, not shared.
      slot.shares_cells = donor->shares_cells = ctx_->kv().n_stream() == 1;
      keep = donor_len;
    } else {
      slot.cached.clear();
      keep = 0;
    }
  }
  if (keep == tokens.size()) --keep;  // the last token is evaluated again for its logits
  (void)ctx_->remove(slot.seq, static_cast<int32_t>(keep), -1);
  slot.cached.resize(keep);
  if (keep == 0) slot.shares_cells = false;
  log::debug("seq {}: {} prompt tokens, {} from the cache{}", slot.seq, tokens.size(), keep,
             donor ? " (shared)" : "");
}

Status Batcher::start(Slot& slot, std::shared_ptr<Job> job) {
  const api::Options& o = job->params.options;
  if (job->tokens.empty()) return make_error(Errc::kInvalidArgument, "the prompt has no tokens");
  CRIA_ASSIGN_OR_RETURN(Sampler sampler,
                        Sampler::create(sampler_options(o), tok_.n_vocab(), n_ctx_seq_));
  for (int32_t t : job->tokens) sampler.accept(t);
  reuse_prefix(slot, job->tokens);
  slot.sampler.emplace(std::move(sampler));
  if (job->params.grammar) {
    slot.grammar.emplace(job->params.grammar, grammar_vocab());
  } else {
    slot.grammar.reset();
  }
  // Control tokens the model generates (not end-of-generation ones, which stop it) are
  // text here, as in Ollama: tool-call and channel markers like [TOOL_CALLS] or
  // <|channel|> reach the server's output parsers.
  slot.text.emplace(tok_, tokenizer::StreamDecoder::Options{.render_special = true});
  slot.stops.emplace(o.stop);
  slot.pending = job->tokens;
  slot.pending_at = slot.cached.size();
  slot.generating = false;
  // Against runaway generation: at most 10 x num_ctx tokens when num_predict is unlimited.
  slot.limit = o.num_predict >= 0 ? o.num_predict : int64_t{10} * n_ctx_seq_;
  slot.n_keep = static_cast<int32_t>(std::clamp<int64_t>(o.num_keep, 0, n_ctx_seq_ / 2));
  slot.logprobs.clear();
  slot.result = CompletionResult{};
  slot.result.prompt_eval_count = static_cast<int64_t>(job->tokens.size());
  slot.t_start = Clock::now();
  slot.job = std::move(job);
  return {};
}

const std::shared_ptr<const GrammarVocab>& Batcher::grammar_vocab() {
  if (!grammar_vocab_) {
    const int32_t n = tok_.n_vocab();
    std::vector<std::string> pieces(static_cast<size_t>(n));
    std::vector<int32_t> eog;
    for (int32_t id = 0; id < n; ++id) {
      const tokenizer::TokenType type = tok_.token_type(id);
      // Control and unknown tokens produce no text (see StreamDecoder).
      if (type != tokenizer::TokenType::kControl && type != tokenizer::TokenType::kUnknown) {
        pieces[id] = tok_.token_to_piece(id);
      }
      if (tok_.is_eog(id)) eog.push_back(id);
    }
    grammar_vocab_ = GrammarVocab::make(std::move(pieces), eog);
  }
  return grammar_vocab_;
}

Status Batcher::shift(Slot& slot) {
  const auto n_past = static_cast<int32_t>(slot.cached.size());
  const int32_t n_keep = std::clamp(slot.n_keep, 0, n_past - 2);
  const int32_t n_discard = (n_past - n_keep) / 2;
  if (slot.shares_cells) {
    // Shifting moves shared cells for every sequence holding them: idle sequences drop their
    // cached prefix first (busy ones sharing this prefix are a known limitation).
    for (auto& other : slots_) {
      if (other.get() == &slot || other->job) continue;
      if (common_prefix(other->cached, slot.cached) > static_cast<size_t>(n_keep)) {
        (void)ctx_->remove(other->seq, 0, -1);
        other->cached.clear();
      }
    }
  }
  CRIA_RETURN_IF_ERROR(ctx_->shift_context(slot.seq, n_keep, n_discard));
  slot.cached.erase(slot.cached.begin() + n_keep, slot.cached.begin() + n_keep + n_discard);
  log::debug("seq {}: context shift, kept {}, dropped {}", slot.seq, n_keep, n_discard);
  return {};
}

void Batcher::add(Slot& slot, int32_t token, bool logits) {
  b_tokens_.push_back(token);
  b_seqs_.push_back(slot.seq);
  b_logits_.push_back(logits ? 1 : 0);
  b_slot_.push_back(&slot);
}

// Fills the batch: one decode token per generating sequence, then prompt chunks
// round-robin until num_batch tokens.
Status Batcher::build_batch() {
  b_tokens_.clear();
  b_seqs_.clear();
  b_logits_.clear();
  b_slot_.clear();
  for (auto& s : slots_) {
    if (!s->job || !s->generating) continue;
    if (static_cast<int32_t>(s->cached.size()) >= n_ctx_seq_) CRIA_RETURN_IF_ERROR(shift(*s));
    add(*s, s->next, true);
  }
  auto budget = static_cast<size_t>(ctx_->options().n_batch) - b_tokens_.size();
  const size_t n = slots_.size();
  for (size_t i = 0; i < n && budget > 0; ++i) {
    Slot& s = *slots_[(rr_ + i) % n];
    if (!s.job || s.generating) continue;
    size_t take = std::min(budget, s.pending.size() - s.pending_at);
    for (size_t k = 0; k < take; ++k) {
      size_t at = s.pending_at + k;
      add(s, s.pending[at], at + 1 == s.pending.size());
    }
    budget -= take;
  }
  rr_ = (rr_ + 1) % n;
  return {};
}

Status Batcher::step() {
  for (auto& s : slots_)
    if (s->job && s->job->cancelled) finish(*s, std::nullopt);
  CRIA_RETURN_IF_ERROR(build_batch());
  if (b_tokens_.empty()) return {};
  const auto t0 = Clock::now();
  auto logits_or = [&] {
    ComputeGate::Turn turn(gate_);  // one runner of the server computes at a time
    return ctx_->decode({.tokens = b_tokens_, .seq_ids = b_seqs_, .want_logits = b_logits_});
  }();
  times_.decode += Clock::now() - t0;
  ++times_.steps;
  CRIA_ASSIGN_OR_RETURN(engine::Logits logits, std::move(logits_or));
  int32_t row = 0;
  for (size_t i = 0; i < b_tokens_.size(); ++i) {
    Slot& s = *b_slot_[i];
    s.cached.push_back(b_tokens_[i]);
    if (!s.generating) ++s.pending_at;
    if (b_logits_[i]) after_logits(s, logits.row(row++));
  }
  return {};
}

void Batcher::after_logits(Slot& s, std::span<const float> logits) {
  if (!s.generating) {
    s.generating = true;
    s.t_first = Clock::now();
    s.result.prompt_eval = s.t_first - s.t_start;
  }
  if (s.result.eval_count >= s.limit) return finish_ok(s, "length");
  int32_t next = 0;
  if (s.grammar) {
    Result<int32_t> t = s.grammar->sample(*s.sampler, logits);
    if (!t.ok()) return finish(s, t.error());
    next = *t;
    s.grammar->accept(next);
  } else {
    next = s.sampler->sample(logits);
  }
  s.sampler->accept(next);
  if (tok_.is_eog(next)) return finish_ok(s, "stop");
  ++s.result.eval_count;
  s.next = next;
  if (const int top = s.job->params.top_logprobs; top >= 0) {
    s.logprobs.push_back(step_logprobs(logits, next, top));
  }
  std::string piece = s.stops->push(s.text->push(next));
  if (!piece.empty()) s.job->push(Piece{std::move(piece), std::exchange(s.logprobs, {})});
  if (s.stops->stopped()) return finish_ok(s, "stop");
  const bool complete = s.grammar && s.grammar->done();  // the format allows nothing more
  if (complete || s.result.eval_count >= s.limit) {
    s.result.context = s.cached;
    s.result.context.push_back(next);
    return finish_ok(s, complete ? "stop" : "length");
  }
}

void Batcher::finish_ok(Slot& s, const char* reason) {
  std::string tail = s.stops->push(s.text->flush());
  tail += s.stops->flush();
  if (!tail.empty() || !s.logprobs.empty()) {
    s.job->push(Piece{std::move(tail), std::exchange(s.logprobs, {})});
  }
  s.result.done_reason = reason;
  s.result.eval = Clock::now() - s.t_first;
  if (s.result.context.empty()) s.result.context = s.cached;
  s.job->push(std::move(s.result));
  release(s);
}

void Batcher::finish(Slot& s, std::optional<Error> error) {
  if (error) s.job->push(std::move(*error));
  release(s);
}

void Batcher::release(Slot& s) {
  s.job.reset();
  s.generating = false;
  s.pending.clear();
  s.pending_at = 0;
  s.sampler.reset();
  s.grammar.reset();
  s.text.reset();
  s.stops.reset();
  s.last_used = ++use_counter_;
}

}  // namespace cria::runner
