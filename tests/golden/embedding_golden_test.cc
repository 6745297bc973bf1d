// The bert engine against llama.cpp's embeddings on the shared fixture
// (../shared/fixtures/golden/bert.json): per-token final hidden states within 5e-3, the
// normalised mean-pooled embedding within 1e-3 and cosine >= 0.9999 (the tolerances of
// ../shared/fixtures/README.md), for each case alone and for all cases in one batch.
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/runner/context.h"
#include "golden_compare.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

constexpr double kTokenTolerance = 5e-3;
constexpr double kPooledTolerance = 1e-3;
constexpr double kMinCosine = 0.9999;

std::vector<float> normalized(std::vector<float> v) {
  double sum = 0;
  for (float x : v) sum += double{x} * x;
  const auto norm = static_cast<float>(std::sqrt(sum));
  for (float& x : v) x /= norm;
  return v;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double ab = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ab += double{a[i]} * b[i];
    aa += double{a[i]} * a[i];
    bb += double{b[i]} * b[i];
  }
  return ab / std::sqrt(aa * bb);
}

// Checks one pooled embedding against a golden case; returns the largest |Δ|.
double check_pooled(const std::vector<float>& pooled, const nlohmann::json& golden,
                    const std::string& where) {
  const auto want = golden["normalized"].get<std::vector<float>>();
  const std::vector<float> got = normalized(pooled);
  EXPECT_EQ(got.size(), want.size()) << where;
  double worst = 0;
  for (size_t i = 0; i < want.size() && i < got.size(); ++i) {
    worst = std::max(worst, std::fabs(double{got[i]} - want[i]));
  }
  EXPECT_LE(worst, kPooledTolerance) << where;
  EXPECT_GE(cosine(got, want), kMinCosine) << where;
  return worst;
}

// Per-token hidden states of one case, decoded as one sequence.
double check_tokens(engine::Context& ctx, const std::vector<int32_t>& prompt,
                    const nlohmann::json& golden, const std::string& where) {
  ctx.clear();
  const std::vector<uint8_t> all(prompt.size(), 1);
  auto hidden = ctx.decode({.tokens = prompt, .want_logits = all});
  EXPECT_TRUE(hidden.ok()) << hidden.error().message;
  if (!hidden.ok()) return 0;
  double worst = 0;
  for (size_t t = 0; t < prompt.size(); ++t) {
    const auto want = golden[t].get<std::vector<float>>();
    std::span<const float> row = hidden->row(static_cast<int32_t>(t));
    for (size_t i = 0; i < want.size(); ++i) {
      worst = std::max(worst, std::fabs(double{row[i]} - want[i]));
    }
  }
  EXPECT_LE(worst, kTokenTolerance) << where;
  ctx.clear();
  return worst;
}

class EmbeddingGolden : public ::testing::TestWithParam<bool> {};

TEST_P(EmbeddingGolden, BertMatchesLlamaCpp) {
  const bool flash = GetParam();
  CRIA_REQUIRE_SHARED(model_path, "fixtures/bert.gguf");
  CRIA_REQUIRE_SHARED(golden_path, "fixtures/golden/bert.json");
  const auto golden = nlohmann::json::parse(read_text(golden_path));
  auto ctx = engine::Context::open(
      model_path, {.n_ctx = 512, .n_seq = 4, .kv_type = GGML_TYPE_F16, .flash_attention = flash});
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  ASSERT_EQ((*ctx)->info().pooling, engine::Pooling::kMean);
  std::vector<std::vector<int32_t>> prompts;
  double token_dev = 0, pooled_dev = 0;
  for (size_t i = 0; i < golden["cases"].size(); ++i) {
    const auto& c = golden["cases"][i];
    const std::string where = "case " + std::to_string(i);
    prompts.push_back(c["prompt_tokens"].get<std::vector<int32_t>>());
    token_dev = std::max(
        token_dev, check_tokens(**ctx, prompts.back(), c["embedding"]["token_embeddings"], where));
    auto alone = (*ctx)->embed(std::span(&prompts.back(), 1));
    ASSERT_TRUE(alone.ok()) << alone.error().message;
    pooled_dev = std::max(pooled_dev, check_pooled((*alone)[0], c["embedding"], where));
  }
  // All cases in one forward pass: the same embeddings.
  auto together = (*ctx)->embed(prompts);
  ASSERT_TRUE(together.ok()) << together.error().message;
  ASSERT_EQ(together->size(), prompts.size());
  for (size_t i = 0; i < prompts.size(); ++i) {
    check_pooled((*together)[i], golden["cases"][i]["embedding"],
                 "batched case " + std::to_string(i));
  }
  std::printf("[golden] bert%s: per-token max |d| %.2e, pooled-normalised max |d| %.2e\n",
              flash ? " (flash)" : "", token_dev, pooled_dev);
}

INSTANTIATE_TEST_SUITE_P(Attention, EmbeddingGolden, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& p) {
                           return std::string(p.param ? "flash" : "plain");
                         });

TEST(EmbeddingErrors, LanguageModelsAndOversizedInputsAreRefused) {
  CRIA_REQUIRE_SHARED(model_path, "fixtures/bert.gguf");
  auto ctx = engine::Context::open(model_path, {.n_ctx = 64, .n_batch = 32, .n_seq = 2});
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  const std::vector<std::vector<int32_t>> too_long = {std::vector<int32_t>(33, 1000)};
  auto r = (*ctx)->embed(too_long);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  // More inputs than sequences and than one batch holds: several passes, same results.
  const std::vector<int32_t> one = {101, 2320, 2588, 102};
  const std::vector<std::vector<int32_t>> many(12, one);
  auto batched = (*ctx)->embed(many);
  ASSERT_TRUE(batched.ok()) << batched.error().message;
  ASSERT_EQ(batched->size(), many.size());
  for (const auto& v : *batched) EXPECT_EQ(v, (*batched)[0]);
}

}  // namespace
}  // namespace cria::test
