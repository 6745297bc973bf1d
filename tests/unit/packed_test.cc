// Our packed CPU matmul (engine/cpu): the layout against its plain definition, the AVX-512
// kernels against that, and whole products against ggml_mul_mat on the same weights.
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "backend/compute.h"
#include "backend/graph.h"
#include "backend/weights.h"
#include "engine/cpu/ops.h"
#include "engine/cpu/packed.h"
#include "engine/cpu/packer.h"
#include "gguf/reader.h"
#include "gguf/writer.h"

namespace cria::engine::cpu {
namespace {

std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<uint8_t> quantized(ggml_type type, const std::vector<float>& f, int64_t n_in,
                               int64_t n_out) {
  std::vector<uint8_t> q(ggml_row_size(type, n_in) * n_out);
  ggml_quantize_chunk(type, f.data(), q.data(), 0, n_out, n_in, nullptr);
  return q;
}

std::vector<ActBlock> quantize_rows(const std::vector<float>& x, int64_t n_in) {
  const int64_t n_rows = static_cast<int64_t>(x.size()) / n_in;
  std::vector<ActBlock> out(static_cast<size_t>(n_rows * n_in / kBlockCols));
  for (int64_t r = 0; r < n_rows; ++r) {
    quantize_row_reference(x.data() + r * n_in, n_in, out.data() + r * n_in / kBlockCols);
  }
  return out;
}

TEST(Packed, FormatsAndShapes) {
  EXPECT_EQ(packed_format(GGML_TYPE_Q8_0, 64, 32), PackedFormat::kQ8_0);
  EXPECT_EQ(packed_format(GGML_TYPE_Q5_0, 64, 32), PackedFormat::kQ5_0);
  EXPECT_FALSE(packed_format(GGML_TYPE_Q8_0, 64, 24).has_value());  // not 16-row groups
  EXPECT_FALSE(packed_format(GGML_TYPE_Q4_K, 256, 32).has_value());
  EXPECT_FALSE(packed_format(GGML_TYPE_F16, 64, 32).has_value());
  // Packed blocks are exactly as large as the ggml rows they replace.
  EXPECT_EQ(packed_block_bytes(PackedFormat::kQ8_0), 16 * ggml_row_size(GGML_TYPE_Q8_0, 32));
  EXPECT_EQ(packed_block_bytes(PackedFormat::kQ5_0), 16 * ggml_row_size(GGML_TYPE_Q5_0, 32));
}

// The reference over the packed layout equals ggml's own dequantized weights times the
// dequantized activations: the packing keeps every value and scale.
TEST(Packed, ReferenceMatchesDequantizedProduct) {
  constexpr int64_t n_in = 96;
  constexpr int64_t n_out = 32;
  for (ggml_type type : {GGML_TYPE_Q8_0, GGML_TYPE_Q5_0}) {
    const auto f = random_floats(n_in * n_out, 1);
    const auto q = quantized(type, f, n_in, n_out);
    std::vector<float> w(n_in * n_out);
    ggml_get_type_traits(type)->to_float(q.data(), w.data(), n_in * n_out);
    const auto x = random_floats(n_in * 3, 2);
    const auto xq = quantize_rows(x, n_in);
    std::vector<uint8_t> packed(q.size());
    const PackedFormat pf = *packed_format(type, n_in, n_out);
    pack_matrix(pf, q.data(), n_in, n_out, packed.data());
    std::vector<float> got(n_out * 3);
    packed_matmul_reference(pf, packed.data(), n_in, n_out, xq.data(), 3, got.data());
    for (int64_t t = 0; t < 3; ++t) {
      for (int64_t o = 0; o < n_out; ++o) {
        double want = 0;
        for (int64_t b = 0; b < n_in / kBlockCols; ++b) {
          const ActBlock& a = xq[t * n_in / kBlockCols + b];
          for (int c = 0; c < kBlockCols; ++c) {
            want += static_cast<double>(w[o * n_in + b * kBlockCols + c]) * a.q[c] * a.d;
          }
        }
        EXPECT_NEAR(got[t * n_out + o], want, 1e-4 * (1 + std::fabs(want)))
            << ggml_type_name(type) << " t=" << t << " o=" << o;
      }
    }
  }
}

TEST(Packed, FastQuantizeEqualsReference) {
  if (!packed_kernels_available()) GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  auto x = random_floats(32 * 40, 3, 2.0f);
  for (int i = 0; i < 32; ++i) x[i] = 0.0f;       // an all-zero block
  for (int i = 32; i < 64; ++i) x[i] = 0.5f * i;  // exact halves after scaling
  std::vector<ActBlock> a(40), b(40);
  quantize_row_reference(x.data(), 32 * 40, a.data());
  quantize_row(x.data(), 32 * 40, b.data());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(std::memcmp(a[i].q, b[i].q, sizeof(a[i].q)), 0) << "block " << i;
    EXPECT_EQ(a[i].d, b[i].d) << "block " << i;
    EXPECT_EQ(a[i].sum, b[i].sum) << "block " << i;
  }
}

// Every tile shape the kernel uses: 1..3 tokens (decode, 4 then 1 group at a time), many
// tokens (4 x 2 tiles, leftover tokens and groups, more than one 64-token chunk), and a range
// of groups that does not start at 0.
TEST(Packed, KernelMatchesReference) {
  if (!packed_kernels_available()) GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  constexpr int64_t n_in = 160;
  constexpr int64_t n_out = 16 * 7;
  for (ggml_type type : {GGML_TYPE_Q8_0, GGML_TYPE_Q5_0}) {
    const auto q = quantized(type, random_floats(n_in * n_out, 4), n_in, n_out);
    const PackedFormat pf = *packed_format(type, n_in, n_out);
    std::vector<uint8_t> packed(q.size());
    pack_matrix(pf, q.data(), n_in, n_out, packed.data());
    for (int64_t n_tokens : {1, 2, 3, 5, 70}) {
      const auto xq = quantize_rows(random_floats(n_in * n_tokens, 5), n_in);
      std::vector<float> want(n_out * n_tokens);
      packed_matmul_reference(pf, packed.data(), n_in, n_out, xq.data(), n_tokens, want.data());
      std::vector<float> got(want.size(), NAN);
      packed_matmul_groups(pf, packed.data(), n_in, 0, 3, xq.data(), n_tokens, got.data(), n_out);
      packed_matmul_groups(pf, packed.data(), n_in, 3, 7, xq.data(), n_tokens, got.data(), n_out);
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-4f * (1 + std::fabs(want[i])))
            << ggml_type_name(type) << " n_tokens=" << n_tokens << " i=" << i;
      }
    }
  }
}

// A GGUF in memory with one q8_0 and one q5_0 matrix.
std::shared_ptr<const gguf::File> model_file(int64_t n_in, int64_t n_out) {
  gguf::Writer writer;
  writer.set("general.architecture", "llama");
  const std::pair<const char*, ggml_type> mats[] = {{"blk.0.q8.weight", GGML_TYPE_Q8_0},
                                                    {"blk.0.q5.weight", GGML_TYPE_Q5_0}};
  uint32_t seed = 10;
  for (auto [name, type] : mats) {
    auto q = quantized(type, random_floats(n_in * n_out, seed++, 0.05f), n_in, n_out);
    const auto gt = static_cast<gguf::TensorType>(type);  // the ids are ggml's
    EXPECT_TRUE(writer.add_tensor({name, gt, {n_in, n_out}}, std::move(q)).ok());
  }
  auto file = gguf::File::parse(writer.to_bytes(), "packed-mem");
  EXPECT_TRUE(file.ok()) << file.error().message;
  return std::make_shared<const gguf::File>(std::move(file).value());
}

// y = W x in a graph, with x viewed as [n_in, 3, n_tokens / 3] when it divides (3-D inputs).
std::vector<float> product(backend::Compute& compute, ggml_tensor* w, const std::vector<float>& xs,
                           bool packed) {
  backend::Graph g({.max_nodes = 64});
  const int64_t n_tokens = static_cast<int64_t>(xs.size()) / w->ne[0];
  ggml_tensor* x = g.input("x", GGML_TYPE_F32, {w->ne[0], n_tokens});
  ggml_tensor* in = n_tokens % 3 == 0 ? ggml_reshape_3d(g.ctx(), x, w->ne[0], 3, n_tokens / 3) : x;
  ggml_tensor* y = packed ? packed_mul_mat(g.ctx(), w, in) : ggml_mul_mat(g.ctx(), w, in);
  EXPECT_EQ(y->ne[1] * y->ne[2], n_tokens);
  g.output(y);
  g.set_input(x, std::span<const float>(xs));
  auto st = compute.compute(g);
  EXPECT_TRUE(st.ok()) << st.error().message;
  return backend::Graph::read_f32(y);
}

// Loaded through the weights loader's packer and multiplied in a ggml graph on 2 threads:
// the same numbers as ggml's own product of the unpacked file, up to float rounding.
TEST(Packed, LoadedWeightsMatchGgml) {
  if (!packed_kernels_available()) GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
  constexpr int64_t n_in = 256;
  constexpr int64_t n_out = 16 * 9;
  auto file = model_file(n_in, n_out);
  auto plain = backend::Weights::load(file);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  auto packed = backend::Weights::load(file, {.packer = weight_packer()});
  ASSERT_TRUE(packed.ok()) << packed.error().message;
  // The packed matrices are not counted twice (once packed, once in the file's mapping).
  uint64_t tensor_bytes = 0;
  for (const auto& t : file->tensors()) tensor_bytes += t.size;
  EXPECT_GE(packed->total_bytes(), tensor_bytes);
  EXPECT_LT(packed->total_bytes(), tensor_bytes + 1024);
  auto compute = backend::Compute::create({.n_threads = 2, .max_nodes = 64});
  ASSERT_TRUE(compute.ok()) << compute.error().message;
  for (const char* name : {"blk.0.q8.weight", "blk.0.q5.weight"}) {
    ggml_tensor* pw = packed->get(name);
    ASSERT_TRUE(packed_format_of(pw).has_value()) << name;
    EXPECT_FALSE(packed_format_of(plain->get(name)).has_value());
    for (int64_t n_tokens : {1, 3, 6, 37}) {  // 1 and 3: quantized inside the op
      const auto xs = random_floats(n_in * n_tokens, 20, 1.0f);
      const auto want = product(*compute, plain->get(name), xs, false);
      const auto got = product(*compute, pw, xs, true);
      ASSERT_EQ(got.size(), want.size());
      for (size_t i = 0; i < want.size(); ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-4f * (1 + std::fabs(want[i])))
            << name << " n_tokens=" << n_tokens << " i=" << i;
      }
    }
  }
}

}  // namespace
}  // namespace cria::engine::cpu
