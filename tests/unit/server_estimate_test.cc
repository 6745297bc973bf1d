// The server's memory estimate for a load, on the bundled stories260K model
// (llama: 5 layers, n_embd 64, 8 heads, 4 KV heads, 512 tokens).
#include <gtest/gtest.h>

#include "server/estimate.h"
#include "support/shared_data.h"

namespace cria::server {
namespace {

std::string stories() {
  return test::source_dir() + "/models/stories260K.gguf";
}

TEST(Estimate, Stories260K) {
  api::Options o;
  o.num_ctx = 2048;
  o.num_batch = 512;
  auto e = estimate_memory(stories(), o, 1);
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->weights, 1185376u);  // the file
  // 5 layers x 2048 tokens x (4 KV heads x 8 dims for K + the same for V) x 2 bytes
  EXPECT_EQ(e->kv_cache, 5u * 2048 * (32 + 32) * 2);
  // 512 x 512 logits x 4 bytes + 10% of the weights
  EXPECT_EQ(e->compute, 512u * 512 * 4 + 1185376 / 10);
  EXPECT_EQ(e->total(), e->weights + e->kv_cache + e->compute);
}

TEST(Estimate, KvCacheScalesWithContextAndParallelSequences) {
  api::Options o;
  o.num_ctx = 1024;
  auto one = estimate_memory(stories(), o, 1);
  auto four = estimate_memory(stories(), o, 4);
  ASSERT_TRUE(one.ok() && four.ok());
  EXPECT_EQ(four->kv_cache, 4 * one->kv_cache);
  o.num_ctx = 4096;
  auto longer = estimate_memory(stories(), o, 1);
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->kv_cache, 4 * one->kv_cache);
  EXPECT_EQ(longer->weights, one->weights);
}

TEST(Estimate, BatchIsCappedByTheContext) {
  api::Options o;
  o.num_ctx = 64;
  o.num_batch = 512;
  auto e = estimate_memory(stories(), o, 1);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->compute, 64u * 512 * 4 + 1185376 / 10);
}

TEST(Estimate, MissingFileFailsWithItsName) {
  auto e = estimate_memory("/nonexistent/model.gguf", api::Options{}, 1);
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().code, Errc::kNotFound);
  EXPECT_NE(e.error().message.find("/nonexistent/model.gguf"), std::string::npos);
}

}  // namespace
}  // namespace cria::server
