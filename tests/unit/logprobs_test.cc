#include "runner/logprobs.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace cria::runner {
namespace {

double log_softmax(const std::vector<float>& l, size_t i) {
  double sum = 0;
  for (float x : l) sum += std::exp(static_cast<double>(x));
  return l[i] - std::log(sum);
}

TEST(Logprobs, ChosenAndTopAgreeWithTheDefinition) {
  std::vector<float> logits = {0.5f, 3.0f, -1.0f, 3.0f, 2.0f, 0.0f, 7.5f, -20.0f};
  StepLogprobs s = step_logprobs(logits, 4, 3);
  EXPECT_EQ(s.chosen.id, 4);
  EXPECT_NEAR(s.chosen.logprob, log_softmax(logits, 4), 1e-5);
  ASSERT_EQ(s.n_top, 3);
  EXPECT_EQ(s.top[0].id, 6);
  EXPECT_EQ(s.top[1].id, 1);  // a tie with id 3: the lower id first
  EXPECT_EQ(s.top[2].id, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(s.top[i].logprob, log_softmax(logits, s.top[i].id), 1e-5);
  }
}

TEST(Logprobs, TopCountsAreClamped) {
  std::vector<float> logits = {1.0f, 2.0f};
  EXPECT_EQ(step_logprobs(logits, 0, 0).n_top, 0);
  EXPECT_EQ(step_logprobs(logits, 0, 5).n_top, 2);  // no more than the vocabulary
  std::vector<float> big(1000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>((i * 7919) % 1000);
  StepLogprobs s = step_logprobs(big, 3, 99);
  ASSERT_EQ(s.n_top, kMaxTopLogprobs);
  for (int i = 1; i < s.n_top; ++i) EXPECT_GE(s.top[i - 1].logprob, s.top[i].logprob);
  EXPECT_NEAR(std::exp(s.top[0].logprob) / std::exp(s.top[1].logprob), std::exp(1.0), 1e-3);
}

}  // namespace
}  // namespace cria::runner
