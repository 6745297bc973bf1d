// Log-probabilities for `logprobs` / `top_logprobs`: of the sampled token and of the most
// likely tokens at that step, from the model's raw logits (before penalties, temperature and
// truncation), as Ollama and OpenAI report them.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace cria::runner {

inline constexpr int kMaxTopLogprobs = 20;

struct TokenLogprob {
  int32_t id = 0;
  float logprob = 0.0f;
};

// One generated token: its log-probability and up to kMaxTopLogprobs alternatives, most
// likely first. A fixed-size value: nothing is allocated per token.
struct StepLogprobs {
  TokenLogprob chosen;
  std::array<TokenLogprob, kMaxTopLogprobs> top{};
  int n_top = 0;
};

// log softmax(logits)[chosen] and the `top_n` (0..kMaxTopLogprobs) largest entries, ties
// to the lower id. One pass for the normaliser, one for the top entries.
StepLogprobs step_logprobs(std::span<const float> logits, int32_t chosen, int top_n);

}  // namespace cria::runner
