// The llama engine against llama.cpp's logits on the shared fixtures
// (../shared/fixtures/golden/*.json): every prompt row, then 16 greedy steps through the
// KV cache, within the tolerances of ../shared/fixtures/README.md.
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

struct GoldenModel {
  const char* name;
  const char* model;   // under the shared directory
  const char* golden;  // under the shared directory
  bool quantized;
  bool cpu_repack = true;
  bool flash_attention = false;  // ggml_flash_attn_ext (the golden ran without it)
};

void PrintTo(const GoldenModel& m, std::ostream* os) {
  *os << m.name;
}

class LlamaGolden : public ::testing::TestWithParam<GoldenModel> {};

// One golden case: the prompt in one batch, then teacher-forced greedy steps.
void run_case(engine::Context& ctx, const nlohmann::json& c, const Tolerance& tol,
              const std::string& where, Deviation& dev) {
  ctx.clear();
  const auto prompt = c["prompt_tokens"].get<std::vector<int32_t>>();
  const std::vector<uint8_t> all(prompt.size(), 1);
  auto logits = ctx.decode({.tokens = prompt, .want_logits = all});
  ASSERT_TRUE(logits.ok()) << logits.error().message;
  ASSERT_EQ(logits->n_rows, static_cast<int32_t>(prompt.size()));
  const auto& rows = c["positions"];
  for (size_t i = 0; i < prompt.size(); ++i) {
    compare_row(logits->row(static_cast<int32_t>(i)), rows[i], tol,
                where + " row " + std::to_string(i), dev);
  }
  const auto& gen = c["generated"];
  std::span<const float> row = logits->row(logits->n_rows - 1);
  bool greedy = true;  // comparing tokens until the first low-margin step
  for (size_t k = 0; k < gen["tokens"].size(); ++k) {
    const auto want = gen["tokens"][k].get<int32_t>();
    const auto& step = gen["steps"][k];
    compare_row(row, step, tol, where + " step " + std::to_string(k), dev);
    if (greedy && golden_margin(step) > tol.margin) {
      ++dev.greedy_checked;
      if (argmax(row) == want) ++dev.greedy_match;
      EXPECT_EQ(argmax(row), want) << where << " greedy step " << k;
    } else {
      greedy = false;
    }
    // Teacher forcing: the golden token goes on, so later steps stay comparable.
    auto next = ctx.decode({.tokens = std::span<const int32_t>(&want, 1)});
    ASSERT_TRUE(next.ok()) << next.error().message;
    row = next->row(0);
  }
}

TEST_P(LlamaGolden, MatchesLlamaCpp) {
  const GoldenModel& m = GetParam();
  CRIA_REQUIRE_SHARED(model_path, m.model);
  CRIA_REQUIRE_SHARED(golden_path, m.golden);
  const auto golden = nlohmann::json::parse(read_text(golden_path));
  const int n_ctx = golden["reference"]["n_ctx"].get<int>();
  auto ctx = engine::Context::open(
      model_path,
      {.n_ctx = n_ctx, .cpu_repack = m.cpu_repack, .flash_attention = m.flash_attention});
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  const Tolerance tol = m.quantized ? quantized_tolerance() : float_tolerance();
  Deviation dev;
  for (size_t i = 0; i < golden["cases"].size(); ++i) {
    run_case(**ctx, golden["cases"][i], tol, std::string(m.name) + " case " + std::to_string(i),
             dev);
  }
  std::printf("[golden] %-28s %s\n", m.name, dev.summary().c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, LlamaGolden,
    ::testing::Values(
        GoldenModel{"stories260K", "models/stories260K.gguf", "fixtures/golden/stories260K.json",
                    false},
        GoldenModel{"stories260K-Q8_0", "models/derived/stories260K-Q8_0.gguf",
                    "fixtures/golden/stories260K-Q8_0.json", true},
        GoldenModel{"stories260K-Q4_0", "models/derived/stories260K-Q4_0.gguf",
                    "fixtures/golden/stories260K-Q4_0.json", true},
        GoldenModel{"stories260K-Q4_0.no-repack", "models/derived/stories260K-Q4_0.gguf",
                    "fixtures/golden/stories260K-Q4_0.no-repack.json", true, false},
        GoldenModel{"llama", "fixtures/llama.gguf", "fixtures/golden/llama.json", false},
        GoldenModel{"llama-e256", "fixtures/llama-e256.gguf", "fixtures/golden/llama-e256.json",
                    false},
        GoldenModel{"llama-e256-Q8_0", "fixtures/llama-e256-Q8_0.gguf",
                    "fixtures/golden/llama-e256-Q8_0.json", true},
        GoldenModel{"llama-e256-Q4_0", "fixtures/llama-e256-Q4_0.gguf",
                    "fixtures/golden/llama-e256-Q4_0.json", true},
        GoldenModel{"llama-e256-Q4_0.no-repack", "fixtures/llama-e256-Q4_0.gguf",
                    "fixtures/golden/llama-e256-Q4_0.no-repack.json", true, false},
        GoldenModel{"llama-e256-Q4_K_M", "fixtures/llama-e256-Q4_K_M.gguf",
                    "fixtures/golden/llama-e256-Q4_K_M.json", true},
        GoldenModel{"llama-e256-Q4_K_M.no-repack", "fixtures/llama-e256-Q4_K_M.gguf",
                    "fixtures/golden/llama-e256-Q4_K_M.no-repack.json", true, false},
        GoldenModel{"llama-e256-Q6_K", "fixtures/llama-e256-Q6_K.gguf",
                    "fixtures/golden/llama-e256-Q6_K.json", true}),
    [](const ::testing::TestParamInfo<GoldenModel>& p) {
      std::string n = p.param.name;
      for (char& ch : n) {
        if (ch == '-' || ch == '.') ch = '_';
      }
      return n;
    });

// "qwen3moe.flash" → qwen3moe_flash
std::string golden_test_name(const ::testing::TestParamInfo<GoldenModel>& p) {
  std::string n = p.param.name;
  for (char& ch : n) {
    if (ch == '-' || ch == '.') ch = '_';
  }
  return n;
}

// The Qwen fixtures, each also through flash attention against the same (non-flash) golden.
const GoldenModel kQwenFixtures[] = {
    {.name = "qwen2",
     .model = "fixtures/qwen2.gguf",
     .golden = "fixtures/golden/qwen2.json",
     .quantized = false},
    {.name = "qwen2.flash",
     .model = "fixtures/qwen2.gguf",
     .golden = "fixtures/golden/qwen2.json",
     .quantized = false,
     .flash_attention = true},
    {.name = "qwen3",
     .model = "fixtures/qwen3.gguf",
     .golden = "fixtures/golden/qwen3.json",
     .quantized = false},
    {.name = "qwen3.flash",
     .model = "fixtures/qwen3.gguf",
     .golden = "fixtures/golden/qwen3.json",
     .quantized = false,
     .flash_attention = true},
    {.name = "qwen3moe",
     .model = "fixtures/qwen3moe.gguf",
     .golden = "fixtures/golden/qwen3moe.json",
     .quantized = false},
    {.name = "qwen3moe.flash",
     .model = "fixtures/qwen3moe.gguf",
     .golden = "fixtures/golden/qwen3moe.json",
     .quantized = false,
     .flash_attention = true},
};
INSTANTIATE_TEST_SUITE_P(Qwen, LlamaGolden, ::testing::ValuesIn(kQwenFixtures), golden_test_name);

// Gemma 2/3 (soft-caps, sliding windows, per-layer RoPE bases) and Phi-3 (fused projections),
// each also through flash attention against the same (non-flash) golden.
const GoldenModel kGemmaPhiFixtures[] = {
    {.name = "gemma2",
     .model = "fixtures/gemma2.gguf",
     .golden = "fixtures/golden/gemma2.json",
     .quantized = false},
    {.name = "gemma2.flash",
     .model = "fixtures/gemma2.gguf",
     .golden = "fixtures/golden/gemma2.json",
     .quantized = false,
     .flash_attention = true},
    {.name = "gemma3",
     .model = "fixtures/gemma3.gguf",
     .golden = "fixtures/golden/gemma3.json",
     .quantized = false},
    {.name = "gemma3.flash",
     .model = "fixtures/gemma3.gguf",
     .golden = "fixtures/golden/gemma3.json",
     .quantized = false,
     .flash_attention = true},
    {.name = "phi3",
     .model = "fixtures/phi3.gguf",
     .golden = "fixtures/golden/phi3.json",
     .quantized = false},
    {.name = "phi3.flash",
     .model = "fixtures/phi3.gguf",
     .golden = "fixtures/golden/phi3.json",
     .quantized = false,
     .flash_attention = true},
};
INSTANTIATE_TEST_SUITE_P(GemmaPhi, LlamaGolden, ::testing::ValuesIn(kGemmaPhiFixtures),
                         golden_test_name);

}  // namespace
}  // namespace cria::test
