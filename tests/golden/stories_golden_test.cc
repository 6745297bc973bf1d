// stories260K greedy generation against ../shared/models/golden/stories260K.golden.json:
// the reference tokens exactly (F32, Q8_0, Q4_0) and the first step's top-5 logits (F32).
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

// This golden came from another llama.cpp build (a fork at ae1a0b1, n_ctx 256). Against it the
// F32 first step differs by up to 3.2e-3, the same size as our largest difference from the
// newer fixtures/golden/stories260K.json (3.5e-3) and as llama.cpp's own ubatch-1 noise on
// this model (tolerance.json: 3.6e-3); 1e-3 is tighter than the reference reproduces itself.
constexpr double kTop5Tolerance = 5e-3;

// Greedy tokens after `prompt`, as many as `n`.
std::vector<int32_t> generate(engine::Context& ctx, const std::vector<int32_t>& prompt, size_t n,
                              std::vector<float>& first_row) {
  ctx.clear();
  std::vector<int32_t> out;
  auto logits = ctx.decode({.tokens = prompt});
  EXPECT_TRUE(logits.ok()) << logits.error().message;
  if (!logits.ok()) return out;
  first_row.assign(logits->row(0).begin(), logits->row(0).end());
  while (out.size() < n) {
    out.push_back(argmax(logits->row(0)));
    logits = ctx.decode({.tokens = std::span<const int32_t>(&out.back(), 1)});
    EXPECT_TRUE(logits.ok()) << logits.error().message;
    if (!logits.ok()) break;
  }
  return out;
}

TEST(StoriesGolden, GreedyGenerationMatches) {
  CRIA_REQUIRE_SHARED(golden_path, "models/golden/stories260K.golden.json");
  const auto golden = nlohmann::json::parse(read_text(golden_path));
  for (const auto& c : golden["cases"]) {
    const auto file = c["model"].get<std::string>();
    const std::string rel =
        file == "stories260K.gguf" ? "models/" + file : "models/derived/" + file;
    CRIA_REQUIRE_SHARED(model_path, rel);
    auto ctx = engine::Context::open(model_path, {.n_ctx = 256});
    ASSERT_TRUE(ctx.ok()) << ctx.error().message;
    const auto prompt = c["prompt_tokens"].get<std::vector<int32_t>>();
    const auto want = c["generated_tokens"].get<std::vector<int32_t>>();
    std::vector<float> first;
    const std::vector<int32_t> got = generate(**ctx, prompt, want.size(), first);
    EXPECT_EQ(got, want) << file << " prompt '" << c["prompt"].get<std::string>() << "'";
    size_t same = 0;
    while (same < std::min(got.size(), want.size()) && got[same] == want[same]) ++same;
    double max_d = 0;
    for (const auto& e : c["first_step_top5_logits"]) {
      const double d = std::abs(first[e[0].get<size_t>()] - e[1].get<double>());
      max_d = std::max(max_d, d);
      if (file == "stories260K.gguf") {
        EXPECT_LE(d, kTop5Tolerance) << file << " token " << e[0];
      }
    }
    std::printf("[golden] %-22s greedy %zu/%zu, first-step top-5 max|dlogit| %g\n", file.c_str(),
                same, want.size(), max_d);
  }
}

}  // namespace
}  // namespace cria::test
