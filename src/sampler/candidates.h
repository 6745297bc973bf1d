// The truncation and scaling steps of the sampling chain, each a free function
// over a CandidateSet so it can be tested alone. Semantics follow llama.cpp's
// samplers (src/llama-sampler.cpp) with min_keep = 1: every step keeps at least
// one candidate. None of them allocates.
#pragma once

#include <cstdint>
#include <span>

namespace cria {

struct Candidate {
  int32_t id;
  float logit;
  float p;      // probability, valid after softmax()
  float score;  // scratch for apply_typical()
};

struct CandidateSet {
  std::span<Candidate> items;  // the live candidates, a prefix of caller-owned scratch
  bool sorted = false;         // by logit, highest first; ties: lower id first
};

// Sorts by logit (highest first, ties to the lower id) unless already sorted.
void sort_by_logit(CandidateSet& c);

// Fills p with softmax(logit) over the live candidates, sorting them first.
void softmax(CandidateSet& c);

// Keeps the k highest logits (partial sort: O(n log k)). k <= 0 or >= size: no-op.
void apply_top_k(CandidateSet& c, int32_t k);

// Locally typical sampling: keeps the tokens whose surprise is closest to the
// entropy until their mass exceeds p. p >= 1: no-op. Leaves the set unsorted.
void apply_typical(CandidateSet& c, float p);

// Nucleus: keeps the shortest prefix (by probability) whose mass is >= p. p >= 1: no-op.
void apply_top_p(CandidateSet& c, float p);

// Keeps tokens whose probability is >= p times the largest. p <= 0: no-op.
void apply_min_p(CandidateSet& c, float p);

// Divides every logit by t (t > 0).
void apply_temperature(CandidateSet& c, float t);

// Index of the highest logit in logits, ties to the lowest index.
int32_t argmax(std::span<const float> logits);

}  // namespace cria
