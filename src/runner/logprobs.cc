#include "runner/logprobs.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace cria::runner {

StepLogprobs step_logprobs(std::span<const float> logits, int32_t chosen, int top_n) {
  assert(!logits.empty() && chosen >= 0 && static_cast<size_t>(chosen) < logits.size());
  top_n = std::clamp(top_n, 0, kMaxTopLogprobs);
  float max = -std::numeric_limits<float>::infinity();
  for (float l : logits) max = std::max(max, l);
  double sum = 0;
  for (float l : logits) sum += std::exp(static_cast<double>(l - max));
  const auto log_z = static_cast<float>(static_cast<double>(max) + std::log(sum));

  StepLogprobs out;
  out.chosen = {chosen, logits[static_cast<size_t>(chosen)] - log_z};
  // Insertion into a sorted array of at most top_n entries: most logits fail the first test.
  auto& top = out.top;
  for (size_t i = 0; i < logits.size() && top_n > 0; ++i) {
    const float l = logits[i];
    if (out.n_top == top_n && l <= top[static_cast<size_t>(top_n - 1)].logprob) continue;
    int at = std::min(out.n_top, top_n - 1);
    while (at > 0 && top[static_cast<size_t>(at - 1)].logprob < l) {
      top[static_cast<size_t>(at)] = top[static_cast<size_t>(at - 1)];
      --at;
    }
    top[static_cast<size_t>(at)] = {static_cast<int32_t>(i), l};
    out.n_top = std::min(out.n_top + 1, top_n);
  }
  for (int i = 0; i < out.n_top; ++i) top[static_cast<size_t>(i)].logprob -= log_z;
  return out;
}

}  // namespace cria::runner
