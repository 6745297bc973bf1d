// The model interface's errors and registry, and the runner's other attention paths (flash
// attention, quantized KV cache) against the same golden rows, on the shared fixtures.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/models/registry.h"
#include "engine/models/tables.h"
#include "engine/runner/context.h"
#include "engine_fixture.h"
#include "gguf/writer.h"
#include "golden_compare.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

TEST(ModelRegistry, LlamaIsRegistered) {
  EXPECT_NE(engine::find_architecture("llama"), nullptr);
}

TEST(ModelTables, ErrorsNameTheKeyAndShape) {
  CRIA_REQUIRE_SHARED(path, "models/stories260K.gguf");
  auto file = gguf::File::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  engine::MetadataTable md(*file, "llama");
  int32_t n = 0;
  md.required("block_count", n);
  EXPECT_EQ(n, 5);
  md.required("no_such_key", n);
  ASSERT_FALSE(md.status().ok());
  EXPECT_NE(md.status().error().message.find("missing metadata key 'llama.no_such_key'"),
            std::string::npos)
      << md.status().error().message;

  engine::TensorTable tt;
  ggml_tensor* q = nullptr;
  tt.add(q, "blk.0.attn_q.weight", {64, 32});
  const Status st = tt.check(*file);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("tensor 'blk.0.attn_q.weight' has shape [64 64], expected "
                                    "[64 32]"),
            std::string::npos)
      << st.error().message;
}

TEST(ModelTables, UnknownArchitectureIsRefused) {
  // The bundled model's metadata under an architecture name no file registers.
  auto src = gguf::File::open(stories_path());
  ASSERT_TRUE(src.ok()) << src.error().message;
  gguf::Writer w;
  w.copy_metadata(*src);
  w.set("general.architecture", "mamba9");
  const std::string path =
      (std::filesystem::temp_directory_path() / "cria-unknown-arch.gguf").string();
  ASSERT_TRUE(w.write(path).ok());
  auto ctx = engine::Context::open(path, {.n_ctx = 64});
  std::filesystem::remove(path);
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().message.find("unsupported architecture 'mamba9'"), std::string::npos)
      << ctx.error().message;
}

// The prompt rows of every case of llama-e256 under other attention settings.
Deviation prompt_rows(const engine::ContextOptions& opt, const Tolerance& tol) {
  Deviation dev;
  std::string model = shared_dir() + "/fixtures/llama-e256.gguf";
  const auto golden =
      nlohmann::json::parse(read_text(shared_dir() + "/fixtures/golden/llama-e256.json"));
  auto ctx = engine::Context::open(model, opt);
  EXPECT_TRUE(ctx.ok()) << ctx.error().message;
  if (!ctx.ok()) return dev;
  for (const auto& c : golden["cases"]) {
    (*ctx)->clear();
    const auto prompt = c["prompt_tokens"].get<std::vector<int32_t>>();
    const std::vector<uint8_t> all(prompt.size(), 1);
    auto logits = (*ctx)->decode({.tokens = prompt, .want_logits = all});
    EXPECT_TRUE(logits.ok()) << logits.error().message;
    if (!logits.ok()) return dev;
    for (size_t i = 0; i < prompt.size(); ++i) {
      compare_row(logits->row(static_cast<int32_t>(i)), c["positions"][i], tol,
                  "row " + std::to_string(i), dev);
    }
  }
  return dev;
}

TEST(AttentionPaths, FlashAttentionF16Kv) {
  CRIA_REQUIRE_SHARED(path, "fixtures/llama-e256.gguf");
  const Deviation dev = prompt_rows({.n_ctx = 512, .flash_attention = true}, float_tolerance());
  std::printf("[golden] %-28s %s\n", "llama-e256 flash", dev.summary().c_str());
}

TEST(AttentionPaths, FlashAttentionQ8Kv) {
  CRIA_REQUIRE_SHARED(path, "fixtures/llama-e256.gguf");
  const Deviation dev = prompt_rows(
      {.n_ctx = 512, .kv_type = GGML_TYPE_Q8_0, .flash_attention = true}, quantized_tolerance());
  std::printf("[golden] %-28s %s\n", "llama-e256 flash q8_0 kv", dev.summary().c_str());
}

TEST(AttentionPaths, QuantizedKvNeedsFlash) {
  CRIA_REQUIRE_SHARED(path, "fixtures/llama-e256.gguf");
  auto ctx = engine::Context::open(path, {.n_ctx = 512, .kv_type = GGML_TYPE_Q4_0});
  ASSERT_FALSE(ctx.ok());
  EXPECT_NE(ctx.error().message.find("flash attention"), std::string::npos);
}

TEST(Runner, ChunkedPromptMatchesOneBatch) {
  CRIA_REQUIRE_SHARED(path, "fixtures/llama-e256.gguf");
  const auto golden =
      nlohmann::json::parse(read_text(shared_dir() + "/fixtures/golden/llama-e256.json"));
  auto ctx = engine::Context::open(path, {.n_ctx = 512, .n_batch = 8});
  ASSERT_TRUE(ctx.ok()) << ctx.error().message;
  Deviation dev;
  const auto& c = golden["cases"][1];
  const auto prompt = c["prompt_tokens"].get<std::vector<int32_t>>();
  ASSERT_GT(prompt.size(), 8u);
  const std::vector<uint8_t> all(prompt.size(), 1);
  auto logits = (*ctx)->decode({.tokens = prompt, .want_logits = all});
  ASSERT_TRUE(logits.ok()) << logits.error().message;
  for (size_t i = 0; i < prompt.size(); ++i) {
    compare_row(logits->row(static_cast<int32_t>(i)), c["positions"][i], float_tolerance(),
                "row " + std::to_string(i), dev);
  }
  std::printf("[golden] %-28s %s\n", "llama-e256 n_batch 8", dev.summary().c_str());
}

}  // namespace
}  // namespace cria::test
