// PenaltyWindow: the last repeat_last_n accepted tokens (a ring) and how often
// each token occurs in it, for the repeat / frequency / presence penalties.
// All storage is allocated at construction; accept() and apply() never allocate.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace cria {

struct PenaltyParams {
  float repeat = 1.0f;     // divides positive logits, multiplies negative ones
  float frequency = 0.0f;  // subtracted once per occurrence in the window
  float presence = 0.0f;   // subtracted once if the token occurs in the window

  bool active() const { return repeat != 1.0f || frequency != 0.0f || presence != 0.0f; }
};

// The penalised logit of a token that occurs `count` (> 0) times in the window,
// exactly as llama.cpp's penalties sampler computes it.
inline float penalize(float logit, int32_t count, const PenaltyParams& p) {
  logit = logit <= 0.0f ? logit * p.repeat : logit / p.repeat;
  return logit - static_cast<float>(count) * p.frequency - (count > 0 ? p.presence : 0.0f);
}

class PenaltyWindow {
 public:
  // window 0 keeps no history (penalties off).
  PenaltyWindow(int32_t window, int32_t n_vocab);

  void accept(int32_t token);
  void reset();

  int32_t count(int32_t token) const { return counts_[token]; }
  int32_t size() const { return size_; }

  // Calls fn(token, count) once for every distinct token in the window.
  template <class Fn>
  void for_each_distinct(Fn&& fn) {
    if (++stamp_ == 0) {  // wrapped after 2^32 calls: clear old stamps
      std::fill(seen_.begin(), seen_.end(), 0u);
      stamp_ = 1;
    }
    for (int32_t i = 0; i < size_; ++i) {
      int32_t t = ring_[i];
      if (seen_[t] == stamp_) continue;
      seen_[t] = stamp_;
      fn(t, counts_[t]);
    }
  }

 private:
  std::vector<int32_t> ring_;    // capacity = window; oldest at head_ once full
  std::vector<int32_t> counts_;  // n_vocab: occurrences in the ring
  std::vector<uint32_t> seen_;   // n_vocab: stamp_ of the last visit (dedup)
  uint32_t stamp_ = 0;
  int32_t head_ = 0;
  int32_t size_ = 0;
};

}  // namespace cria
