#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <vector>

#include <gtest/gtest.h>

#include "sampler/candidates.h"
#include "sampler/options.h"
#include "sampler/penalties.h"
#include "sampler/sampler.h"

// Counts heap allocations while g_counting is set, to prove the steady state allocates nothing.
namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

void* counted_alloc(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) {
  return counted_alloc(n);
}
void* operator new[](std::size_t n) {
  return counted_alloc(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

namespace cria {
namespace {

SamplerOptions greedy_options() {
  SamplerOptions o;
  o.temperature = 0.0f;
  return o;
}

// All truncation off: the draw follows softmax(logits / temperature).
SamplerOptions plain_options(float temperature, int64_t seed) {
  SamplerOptions o;
  o.temperature = temperature;
  o.top_k = 0;
  o.top_p = 1.0f;
  o.min_p = 0.0f;
  o.seed = seed;
  return o;
}

Sampler make(const SamplerOptions& o, int32_t n_vocab, int32_t n_ctx = 0) {
  auto s = Sampler::create(o, n_vocab, n_ctx);
  EXPECT_TRUE(s.ok()) << s.error().message;
  return std::move(s).value();
}

std::vector<double> softmax_ref(const std::vector<float>& logits, float t) {
  std::vector<double> p(logits.size());
  double max = *std::max_element(logits.begin(), logits.end()), sum = 0;
  for (size_t i = 0; i < p.size(); ++i) sum += p[i] = std::exp((logits[i] - max) / t);
  for (auto& x : p) x /= sum;
  return p;
}

std::vector<double> frequencies(Sampler& s, const std::vector<float>& logits, int draws) {
  std::vector<double> f(logits.size(), 0.0);
  for (int i = 0; i < draws; ++i) f[s.sample(logits)] += 1.0 / draws;
  return f;
}

TEST(SamplerOptions, DefaultsMatchOllama) {
  SamplerOptions o;
  EXPECT_FLOAT_EQ(o.temperature, 0.8f);
  EXPECT_EQ(o.top_k, 40);
  EXPECT_FLOAT_EQ(o.top_p, 0.9f);
  EXPECT_FLOAT_EQ(o.min_p, 0.0f);
  EXPECT_FLOAT_EQ(o.typical_p, 1.0f);
  EXPECT_FLOAT_EQ(o.repeat_penalty, 1.0f);
  EXPECT_EQ(o.repeat_last_n, 64);
  EXPECT_FLOAT_EQ(o.presence_penalty, 0.0f);
  EXPECT_FLOAT_EQ(o.frequency_penalty, 0.0f);
  EXPECT_EQ(o.seed, -1);
  EXPECT_TRUE(validate(o).ok());
}

TEST(SamplerOptions, ValidationNamesTheOption) {
  auto expect_error = [](SamplerOptions o, const char* name) {
    Status s = validate(o);
    ASSERT_FALSE(s.ok()) << name;
    EXPECT_EQ(s.error().code, Errc::kInvalidArgument);
    EXPECT_NE(s.error().message.find(name), std::string::npos) << s.error().message;
  };
  SamplerOptions o;
  o.top_p = 1.5f;
  expect_error(o, "top_p");
  o = {};
  o.top_p = -0.1f;
  expect_error(o, "top_p");
  o = {};
  o.min_p = 2.0f;
  expect_error(o, "min_p");
  o = {};
  o.typical_p = -1.0f;
  expect_error(o, "typical_p");
  o = {};
  o.repeat_penalty = 0.0f;
  expect_error(o, "repeat_penalty");
  o = {};
  o.repeat_last_n = -2;
  expect_error(o, "repeat_last_n");
  o = {};
  o.temperature = NAN;
  expect_error(o, "temperature");
  o = {};
  o.frequency_penalty = INFINITY;
  expect_error(o, "frequency_penalty");

  // Lenient where Ollama is: these mean "off" or "greedy".
  o = {};
  o.top_k = -5;
  o.temperature = -1.0f;
  o.top_p = 0.0f;
  o.presence_penalty = -2.0f;
  EXPECT_TRUE(validate(o).ok());

  o = {};
  o.repeat_last_n = -1;
  auto s = Sampler::create(o, 10);  // -1 without num_ctx
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("repeat_last_n"), std::string::npos);
  EXPECT_TRUE(Sampler::create(o, 10, 2048).ok());
  EXPECT_FALSE(Sampler::create(SamplerOptions{}, 0).ok());
}

TEST(Sampler, GreedyPicksArgmaxAndLowestIdOnTies) {
  Sampler s = make(greedy_options(), 5);
  EXPECT_EQ(s.sample(std::vector<float>{0.1f, 3.0f, -1.0f, 2.0f, 0.0f}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 5.0f, 2.0f, 5.0f, 5.0f}), 1);
  EXPECT_EQ(s.sample(std::vector<float>{-INFINITY, -INFINITY, -INFINITY, -INFINITY, -7.f}), 4);
  EXPECT_EQ(argmax(std::vector<float>{2.0f, 2.0f}), 0);
}

TEST(Sampler, TopK1IsGreedyAtAnyTemperature) {
  std::vector<float> logits{0.5f, 1.0f, 1.2f, 1.2f, -3.0f, 1.1f};
  for (float t : {0.1f, 1.0f, 5.0f, 100.0f}) {
    SamplerOptions o = plain_options(t, 7);
    o.top_k = 1;
    Sampler s = make(o, 6);
    for (int i = 0; i < 200; ++i) ASSERT_EQ(s.sample(logits), 2) << "temperature " << t;
  }
}

TEST(Sampler, SameSeedSameSequenceDifferentSeedsDiffer) {
  std::vector<float> logits(50);
  for (size_t i = 0; i < logits.size(); ++i) logits[i] = std::sin(static_cast<float>(i)) * 2.0f;
  auto run = [&](int64_t seed) {
    Sampler s = make(plain_options(1.0f, seed), 50);
    std::vector<int32_t> out;
    for (int i = 0; i < 1000; ++i) out.push_back(s.sample(logits));
    return out;
  };
  EXPECT_EQ(run(42), run(42));
  EXPECT_NE(run(42), run(43));
  EXPECT_NE(run(1), run(1LL << 33 | 1));  // the high bits of the seed matter

  // reset() replays the sequence; a random seed is resolved and reported.
  Sampler s = make(plain_options(1.0f, -1), 50);
  std::vector<int32_t> first, second;
  for (int i = 0; i < 100; ++i) first.push_back(s.sample(logits));
  s.reset();
  for (int i = 0; i < 100; ++i) second.push_back(s.sample(logits));
  EXPECT_EQ(first, second);
  Sampler replay = make(plain_options(1.0f, static_cast<int64_t>(s.seed())), 50);
  std::vector<int32_t> third;
  for (int i = 0; i < 100; ++i) third.push_back(replay.sample(logits));
  EXPECT_EQ(first, third);
}

TEST(Sampler, FrequenciesFollowSoftmaxOfScaledLogits) {
  const std::vector<float> logits{1.0f, 2.0f, 0.5f, -1.0f, 1.5f};
  const int draws = 200000;
  for (float t : {0.5f, 1.0f, 2.0f}) {
    Sampler s = make(plain_options(t, 1234), 5);
    auto f = frequencies(s, logits, draws);
    auto p = softmax_ref(logits, t);
    for (size_t i = 0; i < p.size(); ++i) {
      // 5 standard deviations of a binomial proportion.
      double tol = 5.0 * std::sqrt(p[i] * (1 - p[i]) / draws) + 1e-4;
      EXPECT_NEAR(f[i], p[i], tol) << "token " << i << " temperature " << t;
    }
  }
}

TEST(Sampler, TopPKeepsMinimalPrefix) {
  // Probabilities 0.5, 0.25, 0.125, 0.125 (logits are log-probabilities).
  const std::vector<float> logits{std::log(0.5f), std::log(0.25f), std::log(0.125f),
                                  std::log(0.125f)};
  std::vector<Candidate> buf(4);
  auto set_of = [&](float p) {
    for (int32_t i = 0; i < 4; ++i) buf[i] = Candidate{i, logits[i], 0, 0};
    CandidateSet c{buf, false};
    apply_top_p(c, p);
    return c.items.size();
  };
  EXPECT_EQ(set_of(0.5f), 1u);  // 0.5 >= 0.5 already
  EXPECT_EQ(set_of(0.6f), 2u);
  EXPECT_EQ(set_of(0.75f), 2u);
  EXPECT_EQ(set_of(0.8f), 3u);
  EXPECT_EQ(set_of(0.0f), 1u);  // never empty
  EXPECT_EQ(set_of(1.0f), 4u);

  SamplerOptions o = plain_options(1.0f, 5);
  o.top_p = 0.7f;  // keeps tokens 0 and 1
  Sampler s = make(o, 4);
  auto f = frequencies(s, logits, 20000);
  EXPECT_EQ(f[2] + f[3], 0.0);
  EXPECT_NEAR(f[0], 2.0 / 3.0, 0.02);  // renormalised over the kept two
}

TEST(Sampler, MinPDropsTokensBelowFractionOfMax) {
  // Probabilities proportional to 1, 0.5, 0.2, 0.05.
  const std::vector<float> logits{0.0f, std::log(0.5f), std::log(0.2f), std::log(0.05f)};
  SamplerOptions o = plain_options(1.0f, 9);
  o.min_p = 0.3f;  // keeps 1 and 0.5, drops 0.2 and 0.05
  Sampler s = make(o, 4);
  auto f = frequencies(s, logits, 20000);
  EXPECT_GT(f[0], 0.0);
  EXPECT_GT(f[1], 0.0);
  EXPECT_EQ(f[2] + f[3], 0.0);

  std::vector<Candidate> buf(4);
  for (int32_t i = 0; i < 4; ++i) buf[i] = Candidate{i, logits[i], 0, 0};
  CandidateSet c{buf, false};
  apply_min_p(c, 0.15f);
  EXPECT_EQ(c.items.size(), 3u);
}

TEST(Sampler, TopKUsesHighestLogitsAndTypicalKeepsSomething) {
  std::vector<Candidate> buf(6);
  const float logits[] = {3, 1, 4, 1, 5, 9};
  for (int32_t i = 0; i < 6; ++i) buf[i] = Candidate{i, logits[i], 0, 0};
  CandidateSet c{buf, false};
  apply_top_k(c, 3);
  ASSERT_EQ(c.items.size(), 3u);
  EXPECT_EQ(c.items[0].id, 5);
  EXPECT_EQ(c.items[1].id, 4);
  EXPECT_EQ(c.items[2].id, 2);
  EXPECT_TRUE(c.sorted);

  // Typical with a tiny mass keeps exactly the token closest to the entropy.
  for (int32_t i = 0; i < 6; ++i) buf[i] = Candidate{i, logits[i], 0, 0};
  c = CandidateSet{buf, false};
  apply_typical(c, 0.01f);
  EXPECT_EQ(c.items.size(), 1u);
}

TEST(Sampler, PenaltiesFollowTheFormulas) {
  SamplerOptions o = greedy_options();
  o.repeat_penalty = 2.0f;
  o.frequency_penalty = 0.5f;
  o.presence_penalty = 0.25f;
  Sampler s = make(o, 5);
  for (int32_t t : {1, 1, 1, 2, 4}) s.accept(t);
  std::vector<float> l{1.0f, 4.0f, -2.0f, 0.0f, 3.0f};
  s.apply_penalties(l);
  EXPECT_FLOAT_EQ(l[0], 1.0f);                         // not in the window
  EXPECT_FLOAT_EQ(l[1], 4.0f / 2 - 3 * 0.5f - 0.25f);  // positive: divided
  EXPECT_FLOAT_EQ(l[2], -2.0f * 2 - 0.5f - 0.25f);     // negative: multiplied
  EXPECT_FLOAT_EQ(l[3], 0.0f);
  EXPECT_FLOAT_EQ(l[4], 3.0f / 2 - 0.5f - 0.25f);
  // Greedy sees the penalised logits: token 4 (0.75) loses to token 0 (1.0).
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 4.0f, -2.0f, 0.0f, 3.0f}), 0);
  s.reset();
  EXPECT_EQ(s.sample(std::vector<float>{1.0f, 4.0f, -2.0f, 0.0f, 3.0f}), 1);
}

TEST(Sampler, RepeatWindowForgetsOldTokens) {
  SamplerOptions o = greedy_options();
  o.repeat_penalty = 10.0f;
  o.repeat_last_n = 3;
  Sampler s = make(o, 4);
  const std::vector<float> logits{5.0f, 4.0f, 1.0f, 1.0f};
  s.accept(0);
  EXPECT_EQ(s.sample(logits), 1);  // 0 penalised to 0.5
  s.accept(2);
  s.accept(3);
  EXPECT_EQ(s.sample(logits), 1);  // window {0, 2, 3}
  s.accept(3);
  EXPECT_EQ(s.sample(logits), 0);  // 0 left the window {2, 3, 3}

  PenaltyWindow w(2, 3);
  w.accept(1);
  w.accept(1);
  w.accept(2);
  EXPECT_EQ(w.count(1), 1);
  EXPECT_EQ(w.count(2), 1);
  EXPECT_EQ(w.size(), 2);

  o.repeat_last_n = 0;  // off
  Sampler off = make(o, 4);
  off.accept(0);
  EXPECT_EQ(off.sample(logits), 0);
}

TEST(Sampler, NoAllocationPerToken) {
  const int32_t n_vocab = 8192;
  std::vector<float> logits(n_vocab);
  for (int32_t i = 0; i < n_vocab; ++i) logits[i] = std::cos(i * 0.37f) * 4.0f;
  SamplerOptions o;  // defaults: top_k 40, top_p 0.9
  o.seed = 3;
  o.repeat_penalty = 1.1f;
  o.frequency_penalty = 0.1f;
  o.presence_penalty = 0.1f;
  o.typical_p = 0.95f;
  o.min_p = 0.05f;
  Sampler s = make(o, n_vocab);
  s.accept(s.sample(logits));  // first call

  // The counter sees allocations (guards against a replaced operator new not taking effect).
  g_allocations = 0;
  g_counting = true;
  auto* probe = new std::vector<float>(logits);
  asm volatile("" : : "g"(probe) : "memory");
  g_counting = false;
  delete probe;
  EXPECT_GE(g_allocations.load(), 1);

  g_allocations = 0;
  g_counting = true;
  int32_t sum = 0;
  for (int i = 0; i < 10000; ++i) {
    int32_t t = s.sample(logits);
    s.accept(t);
    sum += t;
  }
  g_counting = false;
  EXPECT_EQ(g_allocations.load(), 0);
  EXPECT_GT(sum, 0);
}

}  // namespace
}  // namespace cria
