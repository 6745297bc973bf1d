// Continuous batching in the runner: up to `parallel` completions share one
// engine context, each in its own sequence with n_ctx positions. Every step
// builds one batch from a decode token of each generating sequence and prompt
// chunks of the others (up to num_batch tokens, taken round-robin so no
// sequence starves), runs it, and samples for each sequence that produced
// logits.
//
// Prefix cache: a sequence's cells stay in the cache after its request ends. A
// new request takes the free slot whose cached tokens share the longest prefix
// with its prompt, or shares (copy_prefix) the longest prefix held by ANY
// sequence, busy or idle, and evaluates only the rest.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/runner/context.h"
#include "runner/compute_gate.h"
#include "runner/job.h"
#include "runner/stop.h"
#include "sampler/grammar_sampler.h"
#include "sampler/sampler.h"
#include "tokenizer/tokenizer.h"

namespace cria::runner {

// The sequences an embedding model's context holds: the inputs of one forward pass.
inline constexpr int kEmbedSequences = 64;

struct BatcherOptions {
  std::string model_path;
  engine::ContextOptions context;  // n_ctx: per sequence
  int parallel = 1;
  std::string compute_lock;  // a file shared by the server's runners; "": none
  // The fraction of the weights loaded, 0..1 (backend::WeightsOptions::on_progress).
  std::function<void(float fraction)> on_progress = nullptr;
};

class Batcher {
 public:
  static Result<std::unique_ptr<Batcher>> load(const BatcherOptions& options);
  ~Batcher();

  // The tokens of a request: its context, then its prompt (special tokens parsed; BOS
  // when there is no context), cut to fit a sequence (the first num_keep stay).
  std::vector<int32_t> prompt_tokens(const CompletionParams& params) const;
  // Queues a completion whose `tokens` are set; its events arrive on the job.
  void submit(std::shared_ptr<Job> job);

  // An embedding model's pooled vectors (not normalised) for `texts`, computed on the
  // batcher thread with as many inputs per forward pass as fit. An input longer than a
  // sequence is cut to fit when `truncate`, else kInvalidArgument. kUnsupported for a
  // language model.
  Result<EmbedResult> embed(const std::vector<std::string>& texts, bool truncate);
  bool is_embedding() const { return ctx_->info().is_embedding(); }

  std::vector<int32_t> tokenize(std::string_view text, bool add_special) const;
  std::string detokenize(std::span<const int32_t> ids) const;
  const engine::Context& context() const { return *ctx_; }
  const tokenizer::Tokenizer& tokenizer() const { return tok_; }
  int32_t n_ctx_per_seq() const { return n_ctx_seq_; }

 private:
  struct Slot;

  Batcher(std::shared_ptr<const gguf::File> file, tokenizer::Tokenizer tok,
          std::unique_ptr<engine::Context> ctx, ComputeGate gate, int parallel, int32_t n_ctx_seq);
  struct EmbedTask;

  void loop();
  // Runs the queued embedding requests.
  void run_embeds();
  // Moves waiting jobs into free slots.
  void assign_jobs();
  Status start(Slot& slot, std::shared_ptr<Job> job);
  // Keeps the longest prefix of `tokens` this slot has, or shares a longer one held by
  // another sequence (copy_prefix); drops the rest of the slot's cells.
  void reuse_prefix(Slot& slot, const std::vector<int32_t>& tokens);
  // One batch: build, decode, sample.
  Status step();
  Status build_batch();
  void add(Slot& slot, int32_t token, bool logits);
  Status shift(Slot& slot);
  // The tokens' bytes for grammars, built on the first constrained request.
  const std::shared_ptr<const GrammarVocab>& grammar_vocab();
  void after_logits(Slot& slot, std::span<const float> logits);
  void finish_ok(Slot& slot, const char* reason);
  // Ends the request (with an error event, or silently when the client is gone).
  void finish(Slot& slot, std::optional<Error> error);
  void release(Slot& slot);

  std::shared_ptr<const gguf::File> file_;
  tokenizer::Tokenizer tok_;
  std::unique_ptr<engine::Context> ctx_;
  ComputeGate gate_;
  int32_t n_ctx_seq_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::shared_ptr<const GrammarVocab> grammar_vocab_;  // see grammar_vocab()
  size_t rr_ = 0;                                      // where the next prompt chunk round starts

  // Batch buffers, reused every step.
  std::vector<int32_t> b_tokens_, b_seqs_;
  std::vector<uint8_t> b_logits_;
  std::vector<Slot*> b_slot_;  // the slot of each batch token
  uint64_t use_counter_ = 0;
  // Where a busy period's time went (logged at debug level when the batcher goes idle): in
  // the engine's decode, or on this thread around it (batch building, sampling, streaming),
  // the part a pipelined runner could overlap with the decode.
  struct StepTimes {
    int64_t steps = 0;
    std::chrono::nanoseconds decode{0}, host{0};
  } times_;
  void log_times();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> waiting_;
  std::deque<std::shared_ptr<EmbedTask>> embeds_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace cria::runner
