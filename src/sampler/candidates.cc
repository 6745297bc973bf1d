#include "sampler/candidates.h"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace cria {
namespace {

bool by_logit(const Candidate& a, const Candidate& b) {
  return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

void truncate(CandidateSet& c, size_t n) {
  c.items = c.items.first(std::max<size_t>(n, 1));
}

}  // namespace

void sort_by_logit(CandidateSet& c) {
  if (c.sorted) return;
  std::sort(c.items.begin(), c.items.end(), by_logit);
  c.sorted = true;
}

void softmax(CandidateSet& c) {
  assert(!c.items.empty());
  sort_by_logit(c);
  const float max = c.items.front().logit;
  if (!std::isfinite(max)) {
    // Every logit is -inf (or the top is +inf): all mass on the first candidate.
    for (auto& x : c.items) x.p = 0.0f;
    c.items.front().p = 1.0f;
    return;
  }
  double sum = 0.0;
  for (auto& x : c.items) {
    x.p = std::exp(x.logit - max);
    sum += x.p;
  }
  for (auto& x : c.items) x.p = static_cast<float>(x.p / sum);
}

void apply_top_k(CandidateSet& c, int32_t k) {
  if (k <= 0 || static_cast<size_t>(k) >= c.items.size()) return;
  if (!c.sorted) {
    std::partial_sort(c.items.begin(), c.items.begin() + k, c.items.end(), by_logit);
  }
  c.items = c.items.first(static_cast<size_t>(k));
  c.sorted = true;
}

void apply_typical(CandidateSet& c, float p) {
  if (p >= 1.0f) return;
  softmax(c);
  double entropy = 0.0;
  for (const auto& x : c.items) {
    if (x.p > 0.0f) entropy -= x.p * std::log(x.p);
  }
  // score = |surprise - entropy|; a zero-probability token is infinitely surprising.
  for (auto& x : c.items) {
    x.score = x.p > 0.0f ? static_cast<float>(std::abs(-std::log(x.p) - entropy)) : INFINITY;
  }
  std::sort(c.items.begin(), c.items.end(), [](const Candidate& a, const Candidate& b) {
    return a.score < b.score || (a.score == b.score && a.id < b.id);
  });
  double cum = 0.0;
  size_t keep = c.items.size();
  for (size_t i = 0; i < c.items.size(); ++i) {
    cum += c.items[i].p;
    if (cum > p) {
      keep = i + 1;
      break;
    }
  }
  truncate(c, keep);
  c.sorted = false;
}

void apply_top_p(CandidateSet& c, float p) {
  if (p >= 1.0f) return;
  softmax(c);
  double cum = 0.0;
  size_t keep = c.items.size();
  for (size_t i = 0; i < c.items.size(); ++i) {
    cum += c.items[i].p;
    if (cum >= p) {
      keep = i + 1;
      break;
    }
  }
  truncate(c, keep);
}

void apply_min_p(CandidateSet& c, float p) {
  if (p <= 0.0f) return;
  // p_i >= p * p_max  <=>  logit_i >= logit_max + log(p); no softmax needed.
  float max = -INFINITY;
  for (const auto& x : c.items) max = std::max(max, x.logit);
  const float min_logit = max + std::log(p);
  // Stable compaction keeps the sorted order if there was one.
  size_t n = 0;
  for (const auto& x : c.items) {
    if (x.logit >= min_logit) c.items[n++] = x;
  }
  truncate(c, n);
}

void apply_temperature(CandidateSet& c, float t) {
  assert(t > 0.0f);
  for (auto& x : c.items) x.logit /= t;
}

int32_t argmax(std::span<const float> logits) {
  assert(!logits.empty());
  // max_element returns the first of equal maxima: ties go to the lowest id.
  return static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
}

}  // namespace cria
