// bench/make_model writes loadable GGUFs with the types llama-quantize would choose.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "e2e/process.h"
#include "gguf/reader.h"
#include "gguf/summary.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("cria-mm-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

gguf::File make(const std::string& type, const std::string& out, const std::string& seed = "1") {
  RunResult r = run_process({CRIA_MAKE_MODEL, "--preset", "tiny", "--type", type, "--out", out,
                             "--seed", seed, "--shared", shared_dir()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  auto f = gguf::File::open(out);
  EXPECT_TRUE(f.ok()) << (f.ok() ? "" : f.error().message);
  return std::move(f).value();
}

std::string type_of(const gguf::File& f, const std::string& tensor) {
  const auto* t = f.find_tensor(tensor);
  return t ? gguf::tensor_type_display(t->type) : "missing";
}

TEST(MakeModel, TinyPresetInEveryType) {
  const std::map<std::string, std::string> expected_quant = {
      {"F16", "F16"}, {"Q8_0", "Q8_0"}, {"Q4_0", "Q4_0"}, {"Q4_K_M", "Q4_K_M"}};
  for (const auto& [type, quant] : expected_quant) {
    SCOPED_TRACE(type);
    const std::string out = temp_path(type + ".gguf");
    gguf::File f = make(type, out);
    const auto s = gguf::summarize(f);
    EXPECT_EQ(s.architecture, "llama");
    EXPECT_EQ(s.quantization, quant);
    EXPECT_EQ(f.tensors().size(), 2u + 2u * 9u);  // token_embd, output_norm, 9 per layer
    EXPECT_EQ(*f.get_uint("llama.block_count"), 2u);
    EXPECT_EQ(s.vocab_size, 512u);
    EXPECT_EQ(type_of(f, "blk.0.attn_norm.weight"), "F32");
    std::filesystem::remove(out);
  }
}

TEST(MakeModel, QuantMixFollowsLlamaQuantize) {
  const std::string out = temp_path("q4km.gguf");
  gguf::File f = make("Q4_K_M", out);
  EXPECT_EQ(type_of(f, "token_embd.weight"), "Q6_K");  // tied output gets more bits
  EXPECT_EQ(type_of(f, "blk.0.attn_q.weight"), "Q4_K");
  EXPECT_EQ(type_of(f, "blk.0.attn_v.weight"), "Q4_K");
  EXPECT_EQ(type_of(f, "blk.1.attn_v.weight"), "Q6_K");  // use_more_bits(1, 2)
  EXPECT_EQ(type_of(f, "blk.1.ffn_down.weight"), "Q6_K");
  std::filesystem::remove(out);
}

TEST(MakeModel, SameSeedSameBytes) {
  const std::string a = temp_path("a.gguf"), b = temp_path("b.gguf"), c = temp_path("c.gguf");
  gguf::File fa = make("Q8_0", a), fb = make("Q8_0", b), fc = make("Q8_0", c, "2");
  ASSERT_EQ(fa.bytes().size(), fb.bytes().size());
  EXPECT_EQ(std::memcmp(fa.bytes().data(), fb.bytes().data(), fa.bytes().size()), 0);
  EXPECT_NE(std::memcmp(fa.bytes().data(), fc.bytes().data(), fa.bytes().size()), 0);
  for (const auto& p : {a, b, c}) std::filesystem::remove(p);
}

TEST(MakeModel, RefusesBadArguments) {
  EXPECT_EQ(run_process({CRIA_MAKE_MODEL, "--preset", "nope", "--out", "/tmp/x"}).exit_code, 1);
  EXPECT_EQ(run_process({CRIA_MAKE_MODEL, "--seed", "x"}).exit_code, 2);
}

}  // namespace
}  // namespace cria::test
