// One completion request inside the runner: its parameters, and the events the
// batcher thread produces for the HTTP thread that streams them (text pieces,
// then the final result or an error). The HTTP thread sets `cancelled` when its
// client is gone; the batcher then frees the sequence before its next step.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "api/options.h"
#include "base/duration.h"
#include "base/result.h"
#include "runner/logprobs.h"
#include "sampler/grammar.h"

namespace cria::runner {

struct CompletionParams {
  std::string prompt;            // template-rendered; special tokens in it are parsed
  std::vector<int32_t> context;  // tokens that go before the prompt (/api/generate context)
  api::Options options;
  api::Json format;                        // as requested: null, "", "json" or a JSON schema
  std::shared_ptr<const Grammar> grammar;  // compiled from format; null: unconstrained
  // -1: no log-probabilities; 0..kMaxTopLogprobs: each generated token's, with that many of
  // the most likely alternatives.
  int top_logprobs = -1;
};

struct CompletionResult {
  std::string done_reason;  // "stop" or "length"
  int64_t prompt_eval_count = 0;
  Nanos prompt_eval{0};
  int64_t eval_count = 0;
  Nanos eval{0};
  std::vector<int32_t> context;  // the prompt and the generated tokens
};

struct EmbedResult {
  std::vector<std::vector<float>> embeddings;  // pooled, one per input, not normalised
  int64_t prompt_eval_count = 0;               // tokens of all inputs
};

struct Piece {
  std::string text;
  std::vector<StepLogprobs> logprobs;  // of the tokens generated since the last piece
};

using Event = std::variant<Piece, CompletionResult, Error>;

class Job {
 public:
  explicit Job(CompletionParams p) : params(std::move(p)) {}

  // Batcher side.
  void push(Event e) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      events_.push_back(std::move(e));
    }
    cv_.notify_one();
  }

  // HTTP side: the next event, waiting for one.
  Event pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !events_.empty(); });
    Event e = std::move(events_.front());
    events_.pop_front();
    return e;
  }

  const CompletionParams params;
  std::vector<int32_t> tokens;  // the prompt, tokenized by the caller before submit()
  std::atomic<bool> cancelled{false};

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Event> events_;
};

}  // namespace cria::runner
