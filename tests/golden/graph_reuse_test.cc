// Graph reuse in the runner: a chunk shaped like the previous one runs the previous graph
// again with new inputs. Every logit must be bit-identical to building each graph anew,
// across the 256-cell padding boundary, with and without flash attention, and after the
// things that force a rebuild (a context shift, a batch of another size).
#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runner/context.h"
#include "golden/engine_fixture.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

using Tokens = std::vector<int32_t>;
using Rows = std::vector<std::vector<float>>;

// Decodes the batch, appends its rows to `rows` and returns the argmax of the last one.
int32_t step(engine::Context& ctx, const engine::Batch& batch, Rows& rows) {
  auto logits = ctx.decode(batch);
  EXPECT_TRUE(logits.ok()) << logits.error().message;
  if (!logits.ok() || logits->n_rows == 0) return 0;
  for (int32_t i = 0; i < logits->n_rows; ++i) {
    rows.emplace_back(logits->row(i).begin(), logits->row(i).end());
  }
  const auto last = logits->row(logits->n_rows - 1);
  return static_cast<int32_t>(std::max_element(last.begin(), last.end()) - last.begin());
}

Tokens prompt_for(const engine::Context& ctx) {
  Tokens p = {1, 403, 407, 261, 300, 5, 77};
  for (int32_t& t : p) t %= ctx.info().n_vocab;
  return p;
}

struct Generation {
  Rows rows;
  int64_t builds = 0;  // graphs built for the single-token steps
};

// A prompt, then `n` greedy single-token steps.
Generation generate(const std::string& path, engine::ContextOptions opt, bool reuse, int n) {
  opt.graph_reuse = reuse;
  Generation g;
  auto ctx = open_model(path, opt);
  if (ctx == nullptr) return g;
  int32_t next = step(*ctx, {.tokens = prompt_for(*ctx)}, g.rows);
  const int64_t after_prompt = ctx->graph_builds();
  for (int i = 0; i < n; ++i) next = step(*ctx, {.tokens = Tokens{next}}, g.rows);
  g.builds = ctx->graph_builds() - after_prompt;
  return g;
}

void expect_identical(const Rows& a, const Rows& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].size(), b[i].size()) << what << " row " << i;
    EXPECT_EQ(std::memcmp(a[i].data(), b[i].data(), a[i].size() * sizeof(float)), 0)
        << what << ": the logits of step " << i << " differ";
  }
}

// Past position 256 the attended cells grow from 256 to 512: one more graph, then reuse.
void check_generation(const std::string& path, const char* name) {
  constexpr int kSteps = 300;
  for (bool flash : {false, true}) {
    SCOPED_TRACE(std::string(name) + (flash ? ", flash" : ""));
    const engine::ContextOptions opt{.n_ctx = 512, .flash_attention = flash};
    const Generation on = generate(path, opt, true, kSteps);
    const Generation off = generate(path, opt, false, kSteps);
    expect_identical(on.rows, off.rows, name);
    EXPECT_EQ(off.builds, kSteps);
    EXPECT_EQ(on.builds, 2) << "one graph below 256 cells, one above";
  }
}

TEST(GraphReuse, StoriesIsBitIdenticalAcrossThePaddingBoundary) {
  check_generation(stories_path(), "stories260K");
}

TEST(GraphReuse, QuantizedLlamaIsBitIdenticalAcrossThePaddingBoundary) {
  CRIA_REQUIRE_SHARED(path, "fixtures/llama-e256-Q4_K_M.gguf");
  check_generation(path, "llama-e256-Q4_K_M");
}

TEST(GraphReuse, HundredStepsBuildOnce) {
  const Generation g = generate(stories_path(), {.n_ctx = 512}, true, 100);
  EXPECT_EQ(g.rows.size(), 101u);
  EXPECT_EQ(g.builds, 1);
}

// Generation interrupted by what invalidates the graph: batches of other sizes, a context
// shift (its own graph runs first), clear(). Reuse on and off still agree bit for bit.
Rows interrupted(const engine::ContextOptions& base, bool reuse, int64_t& builds) {
  engine::ContextOptions opt = base;
  opt.graph_reuse = reuse;
  Rows rows;
  auto ctx = open_model(stories_path(), opt);
  if (ctx == nullptr) return rows;
  const Tokens prompt = prompt_for(*ctx);
  int32_t next = step(*ctx, {.tokens = prompt}, rows);
  for (int i = 0; i < 20; ++i) next = step(*ctx, {.tokens = Tokens{next}}, rows);
  const Tokens four = {next, 7, 8, 9};
  step(*ctx, {.tokens = four}, rows);
  next = step(*ctx, {.tokens = four}, rows);  // as many tokens again: reused
  for (int i = 0; i < 10; ++i) next = step(*ctx, {.tokens = Tokens{next}}, rows);
  EXPECT_TRUE(ctx->shift_context(0, 2, 8).ok());
  for (int i = 0; i < 10; ++i) next = step(*ctx, {.tokens = Tokens{next}}, rows);
  ctx->clear();
  next = step(*ctx, {.tokens = prompt}, rows);
  for (int i = 0; i < 10; ++i) next = step(*ctx, {.tokens = Tokens{next}}, rows);
  builds = ctx->graph_builds();
  return rows;
}

TEST(GraphReuse, RebuildsWhereTheGraphChanges) {
  for (bool flash : {false, true}) {
    SCOPED_TRACE(flash ? "flash" : "no flash");
    const engine::ContextOptions opt{.n_ctx = 512, .flash_attention = flash};
    int64_t builds_on = 0, builds_off = 0;
    const Rows on = interrupted(opt, true, builds_on);
    const Rows off = interrupted(opt, false, builds_off);
    expect_identical(on, off, "interrupted generation");
    EXPECT_EQ(builds_off, 1 + 20 + 2 + 10 + 10 + 1 + 10);
    // prompt, 1 token, 4 tokens, 1 token, 1 token after the shift, prompt, 1 token.
    EXPECT_EQ(builds_on, 7);
  }
}

}  // namespace
}  // namespace cria::test
