// KvCache's ggml side without a model: the causal and sliding-window masks a batch's graph
// receives (read back through ggml) against a brute-force rule, and which layer gets which.
#include <cmath>
#include <cstdint>
#include <iterator>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "backend/compute.h"
#include "backend/graph.h"
#include "engine/kv/kv_cache.h"

namespace cria {
namespace {

struct Token {
  int32_t pos;
  int32_t seq;
};

// The live (position, sequence) pairs, kept by the test itself: the reference.
struct Reference {
  std::vector<Token> live;

  void add(const std::vector<Token>& batch) { live.insert(live.end(), batch.begin(), batch.end()); }
  void remove(int32_t seq, int32_t p0, int32_t p1) {
    std::erase_if(live, [&](const Token& t) { return t.seq == seq && t.pos >= p0 && t.pos < p1; });
  }
  // How many cached tokens `tok` may attend: its sequence, not later, inside the window.
  int visible(const Token& tok, int32_t n_swa) const {
    int n = 0;
    for (const Token& t : live) {
      n += t.seq == tok.seq && t.pos <= tok.pos && (n_swa == 0 || tok.pos - t.pos < n_swa);
    }
    return n;
  }
};

class KvCacheMask : public ::testing::TestWithParam<bool> {
 protected:
  static constexpr int32_t kSwa = 4;

  void SetUp() override {
    auto c = backend::Compute::create({.n_threads = 1, .use_gpus = false, .max_nodes = 256});
    ASSERT_TRUE(c.ok()) << c.error().message;
    compute_ = std::make_unique<backend::Compute>(std::move(c).value());
    auto kv = KvCache::create({.n_ctx = 64,
                               .n_seq = 3,
                               .n_layer = 3,
                               .n_head_kv = 1,
                               .head_dim_k = 32,
                               .head_dim_v = 32,
                               .flash = GetParam(),
                               .n_pad = 16,
                               .n_swa = kSwa,
                               .swa_layers = {1, 0, 1}});
    ASSERT_TRUE(kv.ok()) << kv.error().message;
    kv_ = std::make_unique<KvCache>(std::move(kv).value());
  }

  // Begins `batch` in the cache, runs the graph and checks both masks row by row.
  void check_batch(const std::vector<Token>& batch) {
    ref_.add(batch);
    std::vector<int32_t> pos, seq;
    for (const Token& t : batch) {
      pos.push_back(t.pos);
      seq.push_back(t.seq);
    }
    backend::Graph g({.max_nodes = 256});
    auto b = kv_->begin(g, pos, seq);
    ASSERT_TRUE(b.ok()) << b.error().message;
    // The batch's keys and values (zeros) go to layer 0, as a model's graph would store them.
    ggml_tensor* kv_cur = g.input("kv_cur", GGML_TYPE_F32, {32, 1, std::ssize(batch)});
    const std::vector<float> zeros(batch.size() * 32);
    g.set_input(kv_cur, std::span<const float>(zeros));
    b->store(g, 0, kv_cur, kv_cur);
    ASSERT_NE(b->mask_swa(), nullptr);
    EXPECT_EQ(b->mask(0), b->mask_swa());
    EXPECT_EQ(b->mask(1), b->mask());
    EXPECT_EQ(b->mask(2), b->mask_swa());
    ggml_tensor* full = ggml_cast(g.ctx(), b->mask(), GGML_TYPE_F32);
    ggml_tensor* swa = ggml_cast(g.ctx(), b->mask_swa(), GGML_TYPE_F32);
    g.output(full);
    g.output(swa);
    ASSERT_TRUE(compute_->compute(g).ok());
    check_mask(backend::Graph::read_f32(full), batch, b->n_kv(), 0);
    check_mask(backend::Graph::read_f32(swa), batch, b->n_kv(), kSwa);
  }

  // Every entry against the rule over the cells' contents, and each row's count against the
  // test's own list of live tokens.
  void check_mask(const std::vector<float>& m, const std::vector<Token>& batch, int32_t n_kv,
                  int32_t n_swa) const {
    const KvCells& cells = kv_->cells(0);
    ASSERT_EQ(m.size(), batch.size() * static_cast<size_t>(n_kv));
    for (size_t i = 0; i < batch.size(); ++i) {
      const Token& tok = batch[i];
      int seen = 0;
      for (int32_t c = 0; c < n_kv; ++c) {
        const int32_t cp = cells.pos(c);
        const bool want = cp >= 0 && cells.has_seq(c, tok.seq) && cp <= tok.pos &&
                          (n_swa == 0 || tok.pos - cp < n_swa);
        const float v = m[i * static_cast<size_t>(n_kv) + static_cast<size_t>(c)];
        EXPECT_EQ(v == 0.0f, want) << "token " << i << " cell " << c << " swa " << n_swa;
        EXPECT_TRUE(want || (std::isinf(v) && v < 0));
        seen += v == 0.0f;
      }
      EXPECT_EQ(seen, ref_.visible(tok, n_swa)) << "token " << i << " swa " << n_swa;
    }
  }

  std::unique_ptr<backend::Compute> compute_;
  std::unique_ptr<KvCache> kv_;
  Reference ref_;
};

TEST_P(KvCacheMask, CausalAndSlidingWindowMatchBruteForce) {
  // Two sequences interleaved, one longer than the window.
  std::vector<Token> first;
  for (int32_t p = 0; p < 10; ++p) {
    first.push_back({p, 0});
    if (p < 6) first.push_back({p, 1});
  }
  check_batch(first);
  // A hole in sequence 0, then all three sequences in one batch (sequence 2 is new).
  kv_->cells(0).remove(0, 2, 4);
  ref_.remove(0, 2, 4);
  check_batch({{10, 0}, {6, 1}, {11, 0}, {0, 2}, {7, 1}, {12, 0}, {1, 2}});
  // Sequence 0 again after its window has moved past the hole.
  check_batch({{13, 0}, {14, 0}});
}

INSTANTIATE_TEST_SUITE_P(PlainAndFlash, KvCacheMask, ::testing::Bool());

TEST(KvCacheOptions, SlidingWindowNeedsAFlagPerLayer) {
  auto kv = KvCache::create({.n_ctx = 16,
                             .n_layer = 2,
                             .n_head_kv = 1,
                             .head_dim_k = 32,
                             .head_dim_v = 32,
                             .n_swa = 4,
                             .swa_layers = {1}});
  ASSERT_FALSE(kv.ok());
  EXPECT_NE(kv.error().message.find("one SWA flag per layer"), std::string::npos);
}

TEST(KvCacheOptions, NoSlidingWindowNoSwaMask) {
  auto kv = KvCache::create(
      {.n_ctx = 16, .n_layer = 2, .n_head_kv = 1, .head_dim_k = 32, .head_dim_v = 32});
  ASSERT_TRUE(kv.ok()) << kv.error().message;
  backend::Graph g({.max_nodes = 64});
  const std::vector<int32_t> pos = {0, 1}, seq = {0, 0};
  auto b = kv->begin(g, pos, seq);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->mask_swa(), nullptr);
  EXPECT_EQ(b->mask(1), b->mask());
}

}  // namespace
}  // namespace cria
