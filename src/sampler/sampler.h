// Sampler: turns one row of logits into a token id with Ollama's options.
//
// The chain, in llama.cpp's (and Ollama's llama runner's) order:
//   penalties -> top_k -> typical_p -> top_p -> min_p -> temperature -> draw.
// temperature <= 0 skips the chain after the penalties and returns the argmax
// (ties to the lowest id), as Ollama's greedy path does.
//
// RNG: std::mt19937 seeded with std::seed_seq{low 32 bits, high 32 bits} of the
// seed (seed -1: one value from std::random_device, drawn at construction and
// reported by seed()). Each draw takes two 32-bit outputs and forms a double in
// [0, 1) with 53 random bits (genrand_res53), so a seed gives the same tokens
// on every platform. reset() re-seeds, so a sampler replays its sequence.
//
// Costs: all scratch (n_vocab candidates, the penalty window and counts) is
// allocated by create(); sample() and accept() never allocate.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "base/result.h"
#include "sampler/candidates.h"
#include "sampler/options.h"
#include "sampler/penalties.h"

namespace cria {

class Sampler {
 public:
  // Validates options. n_ctx is the context length, needed when repeat_last_n is -1.
  static Result<Sampler> create(const SamplerOptions& options, int32_t n_vocab, int32_t n_ctx = 0);

  // logits.size() must equal n_vocab(). Does not record the token: call accept().
  int32_t sample(std::span<const float> logits);

  // Records a token (generated or from the prompt) for the penalties.
  void accept(int32_t token);

  // Forgets the history and re-seeds the RNG.
  void reset();

  // Applies the repeat/frequency/presence penalties of the current window to
  // logits in place (what sample() does to its copy first).
  void apply_penalties(std::span<float> logits);

  const SamplerOptions& options() const { return options_; }
  uint64_t seed() const { return seed_; }  // the resolved seed, never "random"
  int32_t n_vocab() const { return n_vocab_; }

 private:
  Sampler(const SamplerOptions& options, int32_t n_vocab, int32_t window, uint64_t seed);

  CandidateSet load_candidates(std::span<const float> logits);
  int32_t greedy(const CandidateSet& c) const;
  int32_t draw(CandidateSet& c);
  double uniform();  // [0, 1)

  SamplerOptions options_;
  PenaltyParams penalty_;
  int32_t n_vocab_;
  uint64_t seed_;
  std::mt19937 rng_;
  PenaltyWindow window_;
  std::vector<Candidate> scratch_;  // n_vocab, reused by every sample()
};

}  // namespace cria
