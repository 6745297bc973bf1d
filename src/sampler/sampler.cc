#include "sampler/sampler.h"

#include <cassert>
#include <string>

namespace cria {
namespace {

std::mt19937 seeded_rng(uint64_t seed) {
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32)};
  return std::mt19937(seq);
}

uint64_t resolve_seed(int64_t seed) {
  if (seed != -1) return static_cast<uint64_t>(seed);
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) | rd();
}

}  // namespace

Result<Sampler> Sampler::create(const SamplerOptions& options, int32_t n_vocab, int32_t n_ctx) {
  CRIA_RETURN_IF_ERROR(validate(options));
  if (n_vocab <= 0) {
    return make_error(Errc::kInvalidArgument,
                      "sampler needs a vocabulary, got n_vocab " + std::to_string(n_vocab));
  }
  int32_t window = options.repeat_last_n;
  if (window == -1) {
    if (n_ctx <= 0) {
      return make_error(Errc::kInvalidArgument,
                        "sampler option repeat_last_n -1 needs the context length (num_ctx)");
    }
    window = n_ctx;
  }
  return Sampler(options, n_vocab, window, resolve_seed(options.seed));
}

Sampler::Sampler(const SamplerOptions& options, int32_t n_vocab, int32_t window, uint64_t seed)
    : options_(options),
      penalty_{options.repeat_penalty, options.frequency_penalty, options.presence_penalty},
      n_vocab_(n_vocab),
      seed_(seed),
      rng_(seeded_rng(seed)),
      window_(window, n_vocab),
      scratch_(static_cast<size_t>(n_vocab)) {}

void Sampler::accept(int32_t token) {
  assert(token >= 0 && token < n_vocab_);
  window_.accept(token);
}

void Sampler::reset() {
  window_.reset();
  rng_ = seeded_rng(seed_);
}

void Sampler::apply_penalties(std::span<float> logits) {
  assert(logits.size() == static_cast<size_t>(n_vocab_));
  if (!penalty_.active()) return;
  window_.for_each_distinct(
      [&](int32_t t, int32_t count) { logits[t] = penalize(logits[t], count, penalty_); });
}

CandidateSet Sampler::load_candidates(std::span<const float> logits) {
  for (int32_t i = 0; i < n_vocab_; ++i) scratch_[i] = Candidate{i, logits[i], 0.0f, 0.0f};
  if (penalty_.active()) {
    // Candidate i holds token i until the chain reorders them.
    window_.for_each_distinct([&](int32_t t, int32_t count) {
      scratch_[t].logit = penalize(scratch_[t].logit, count, penalty_);
    });
  }
  return CandidateSet{std::span<Candidate>(scratch_), false};
}

int32_t Sampler::greedy(const CandidateSet& c) const {
  const Candidate* best = &c.items.front();
  for (const auto& x : c.items) {
    if (x.logit > best->logit) best = &x;  // strict: ties keep the lower id
  }
  return best->id;
}

double Sampler::uniform() {
  // genrand_res53: 27 + 26 random bits, the same on every standard library.
  const uint32_t a = rng_() >> 5;
  const uint32_t b = rng_() >> 6;
  return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

int32_t Sampler::draw(CandidateSet& c) {
  softmax(c);
  const double u = uniform();
  double cum = 0.0;
  for (const auto& x : c.items) {
    cum += x.p;
    if (u < cum) return x.id;
  }
  return c.items.back().id;  // u landed in the rounding slack of the sum
}

int32_t Sampler::sample(std::span<const float> logits) {
  assert(logits.size() == static_cast<size_t>(n_vocab_));
  CandidateSet c = load_candidates(logits);
  if (options_.temperature <= 0.0f) return greedy(c);
  apply_top_k(c, options_.top_k);
  apply_typical(c, options_.typical_p);
  apply_top_p(c, options_.top_p);
  apply_min_p(c, options_.min_p);
  apply_temperature(c, options_.temperature);
  return draw(c);
}

}  // namespace cria
