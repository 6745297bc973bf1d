// The quantize module: llama.cpp's per-tensor type rules on synthetic models,
// and whole-file quantization of the bundled stories260K model (types,
// accuracy, metadata, errors), compared with llama-quantize's copies when the
// shared data has them.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <ggml.h>
#include <gtest/gtest.h>

#include "gguf/reader.h"
#include "gguf/writer.h"
#include "quantize/file_type.h"
#include "quantize/quantize.h"
#include "quantize/tensor_rules.h"
#include "support/shared_data.h"

namespace cria::quantize {
namespace {

namespace fs = std::filesystem;

FileType file_type(std::string_view name) {
  auto ft = parse_file_type(name);
  EXPECT_TRUE(ft.ok()) << name;
  return *ft;
}

// ---------------------------------------------------------------- rules

TEST(QuantizeRules, ParsesTypeNamesIgnoringCase) {
  EXPECT_EQ(file_type("q4_K_M").mix, Mix::kQ4_K_M);
  EXPECT_EQ(file_type("Q4_K_M").mix, Mix::kQ4_K_M);
  EXPECT_EQ(file_type("q8_0").base, kTypeQ8_0);
  EXPECT_EQ(file_type("Q3_k_l").base, kTypeQ3_K);
  EXPECT_EQ(file_types().size(), 14u);
  auto bad = parse_file_type("q4_k_x");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("q4_K_M"), std::string::npos) << bad.error().message;
}

TEST(QuantizeRules, RolesAndWhatMayBeQuantized) {
  EXPECT_EQ(tensor_role("output.weight"), Role::kOutput);
  EXPECT_EQ(tensor_role("token_embd.weight"), Role::kTokenEmbd);
  EXPECT_EQ(tensor_role("blk.3.attn_v.weight"), Role::kAttnV);
  EXPECT_EQ(tensor_role("blk.3.attn_qkv.weight"), Role::kAttnV);
  EXPECT_EQ(tensor_role("blk.3.ffn_down_exps.weight"), Role::kFfnDown);
  EXPECT_EQ(tensor_role("blk.3.attn_norm.weight"), Role::kOther);

  EXPECT_TRUE(may_quantize({"blk.0.attn_q.weight", kTypeF32, {64, 64, 1, 1}}));
  EXPECT_FALSE(may_quantize({"blk.0.attn_norm.weight", kTypeF32, {64, 1, 1, 1}}));
  EXPECT_FALSE(may_quantize({"blk.0.attn_q.bias", kTypeF32, {64, 64, 1, 1}}));
  EXPECT_FALSE(may_quantize({"blk.0.ffn_gate_inp.weight", kTypeF32, {64, 8, 1, 1}}));
  EXPECT_FALSE(may_quantize({"position_embd.weight", kTypeF32, {64, 64, 1, 1}}));
  // Trailing dimensions of 1 do not count (ggml_n_dims).
  EXPECT_FALSE(may_quantize({"blk.0.attn_q.weight", kTypeF32, {64, 1, 1, 1}}));
  EXPECT_TRUE(may_quantize({"blk.0.ffn_up_exps.weight", kTypeF32, {64, 1, 8, 1}}));
}

TEST(QuantizeRules, FallsBackWhenTheRowDoesNotFit) {
  auto fit = [](gguf::TensorType t, int64_t n) { return fit_row_length(t, n); };
  EXPECT_EQ(fit(kTypeQ4_K, 4096).type, kTypeQ4_K);
  EXPECT_FALSE(fit(kTypeQ4_K, 4096).fallback);
  EXPECT_EQ(fit(kTypeQ4_K, 64).type, kTypeQ5_0);
  EXPECT_TRUE(fit(kTypeQ4_K, 64).fallback);
  EXPECT_EQ(fit(kTypeQ5_K, 64).type, kTypeQ5_1);
  EXPECT_EQ(fit(kTypeQ6_K, 64).type, kTypeQ8_0);
  EXPECT_EQ(fit(kTypeQ2_K, 96).type, kTypeQ4_0);
  EXPECT_EQ(fit(kTypeQ3_K, 96).type, kTypeQ4_0);
  EXPECT_EQ(fit(kTypeQ6_K, 172).type, kTypeF16);
  EXPECT_EQ(fit(kTypeQ4_0, 172).type, kTypeF16);
  EXPECT_EQ(fit(kTypeQ8_0, 172).type, kTypeF16);
}

TEST(QuantizeRules, MoreBitsLayers) {
  std::vector<int> more;
  for (int i = 0; i < 32; ++i) {
    if (use_more_bits(i, 32)) more.push_back(i);
  }
  const std::vector<int> want = {0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31};
  EXPECT_EQ(more, want);
}

// A dense llama-like model: tensor names own their strings.
struct Model {
  ModelShape shape;
  std::vector<std::string> names;
  std::vector<TensorDesc> tensors;

  void add(std::string name, std::array<int64_t, 4> ne) {
    names.push_back(std::move(name));
    tensors.push_back({"", kTypeF16, ne});
  }
  std::map<std::string, gguf::TensorType> choose(std::string_view type) {
    for (size_t i = 0; i < tensors.size(); ++i) tensors[i].name = names[i];
    auto choices = choose_tensor_types(tensors, shape, file_type(type));
    EXPECT_TRUE(choices.ok()) << choices.error().message;
    std::map<std::string, gguf::TensorType> by_name;
    for (size_t i = 0; i < tensors.size(); ++i) by_name[names[i]] = (*choices)[i].type;
    return by_name;
  }
};

Model dense_llama(uint32_t n_layer, uint32_t n_head_kv, bool tied, uint32_t n_expert = 0) {
  const int64_t d = 4096, ff = 11008, vocab = 32000, kv = d * n_head_kv / 32;
  Model m;
  m.shape = {"llama", n_layer, 32, n_head_kv, n_expert};
  m.add("token_embd.weight", {d, vocab, 1, 1});
  for (uint32_t i = 0; i < n_layer; ++i) {
    const std::string b = "blk." + std::to_string(i) + ".";
    m.add(b + "attn_norm.weight", {d, 1, 1, 1});
    m.add(b + "attn_q.weight", {d, d, 1, 1});
    m.add(b + "attn_k.weight", {d, kv, 1, 1});
    m.add(b + "attn_v.weight", {d, kv, 1, 1});
    m.add(b + "attn_output.weight", {d, d, 1, 1});
    m.add(b + "ffn_norm.weight", {d, 1, 1, 1});
    m.add(b + "ffn_gate.weight", {d, ff, 1, 1});
    m.add(b + "ffn_up.weight", {d, ff, 1, 1});
    m.add(b + "ffn_down.weight", {ff, d, 1, 1});
  }
  m.add("output_norm.weight", {d, 1, 1, 1});
  if (!tied) m.add("output.weight", {d, vocab, 1, 1});
  return m;
}

std::string blk(int i, const char* what) {
  return "blk." + std::to_string(i) + "." + what + ".weight";
}

TEST(QuantizeRules, Llama7bQ4KMLikeLlamaCpp) {
  Model m = dense_llama(32, 32, false);
  auto types = m.choose("q4_K_M");
  EXPECT_EQ(types["token_embd.weight"], kTypeQ4_K);
  EXPECT_EQ(types["output.weight"], kTypeQ6_K);
  EXPECT_EQ(types["output_norm.weight"], kTypeF16);  // keeps its own type
  for (int i = 0; i < 32; ++i) {
    const auto more = use_more_bits(i, 32) ? kTypeQ6_K : kTypeQ4_K;
    EXPECT_EQ(types[blk(i, "attn_v")], more) << i;
    EXPECT_EQ(types[blk(i, "ffn_down")], more) << i;
    EXPECT_EQ(types[blk(i, "attn_q")], kTypeQ4_K);
    EXPECT_EQ(types[blk(i, "attn_k")], kTypeQ4_K);
    EXPECT_EQ(types[blk(i, "attn_output")], kTypeQ4_K);
    EXPECT_EQ(types[blk(i, "ffn_gate")], kTypeQ4_K);
    EXPECT_EQ(types[blk(i, "ffn_up")], kTypeQ4_K);
    EXPECT_EQ(types[blk(i, "attn_norm")], kTypeF16);
  }
}

TEST(QuantizeRules, OtherMixes) {
  Model m = dense_llama(32, 8, false);
  auto s = m.choose("q4_K_S");
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(s[blk(i, "attn_v")], i < 4 ? kTypeQ5_K : kTypeQ4_K) << i;
    EXPECT_EQ(s[blk(i, "ffn_down")], i < 4 ? kTypeQ5_K : kTypeQ4_K) << i;
  }
  auto q3m = m.choose("q3_K_M");
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(q3m[blk(i, "attn_v")], i < 2 ? kTypeQ5_K : kTypeQ4_K) << i;
    EXPECT_EQ(q3m[blk(i, "ffn_down")], i < 2 ? kTypeQ5_K : kTypeQ4_K) << i;
    EXPECT_EQ(q3m[blk(i, "attn_output")], kTypeQ4_K);
    EXPECT_EQ(q3m[blk(i, "attn_q")], kTypeQ3_K);
  }
  auto q2 = m.choose("q2_K");  // 4 query heads per KV head
  EXPECT_EQ(q2[blk(5, "attn_v")], kTypeQ4_K);
  EXPECT_EQ(q2[blk(5, "ffn_down")], kTypeQ3_K);
  EXPECT_EQ(q2[blk(5, "attn_output")], kTypeQ3_K);
  EXPECT_EQ(q2[blk(5, "attn_q")], kTypeQ2_K);
  auto q8 = m.choose("q8_0");
  EXPECT_EQ(q8["output.weight"], kTypeQ8_0);
  EXPECT_EQ(q8[blk(5, "attn_v")], kTypeQ8_0);
  auto q6 = m.choose("q6_K");
  EXPECT_EQ(q6["output.weight"], kTypeQ6_K);
  EXPECT_EQ(q6[blk(0, "ffn_down")], kTypeQ6_K);
}

TEST(QuantizeRules, TiedEmbeddingsGetTheOutputType) {
  Model m = dense_llama(4, 32, true);
  EXPECT_EQ(m.choose("q4_K_M")["token_embd.weight"], kTypeQ6_K);
  EXPECT_EQ(m.choose("q4_0")["token_embd.weight"], kTypeQ6_K);
  EXPECT_EQ(m.choose("q8_0")["token_embd.weight"], kTypeQ8_0);
}

TEST(QuantizeRules, SeventyBAndEightExperts) {
  Model big = dense_llama(80, 8, false);
  auto t = big.choose("q3_K_M");
  EXPECT_EQ(t[blk(40, "attn_v")], kTypeQ5_K);
  Model moe = dense_llama(4, 8, false, 8);
  auto e = moe.choose("q4_K_M");
  EXPECT_EQ(e[blk(1, "attn_v")], kTypeQ8_0);
  EXPECT_EQ(e[blk(1, "attn_k")], kTypeQ8_0);
  EXPECT_EQ(e[blk(1, "attn_output")], kTypeQ5_K);
  moe.add("ffn_down_orphan.weight", {256, 256, 1, 1});  // no layer in its name
  for (size_t i = 0; i < moe.tensors.size(); ++i) moe.tensors[i].name = moe.names[i];
  EXPECT_FALSE(choose_tensor_types(moe.tensors, moe.shape, file_type("q4_K_M")).ok());
}

TEST(QuantizeRules, OrderOfTheInputDoesNotMatter) {
  Model m = dense_llama(8, 32, false);
  const auto want = m.choose("q4_K_M");
  std::vector<size_t> perm(m.names.size());
  for (size_t i = 0; i < perm.size(); ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), std::mt19937(7));
  Model shuffled;
  shuffled.shape = m.shape;
  for (size_t i : perm) shuffled.add(m.names[i], m.tensors[i].ne);
  EXPECT_EQ(shuffled.choose("q4_K_M"), want);
}

// ---------------------------------------------------------------- files

std::string stories_path() {
  return test::source_dir() + "/models/stories260K.gguf";
}

class TempDir {
 public:
  TempDir() {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = fs::temp_directory_path() /
            ("cria-quantize-" + std::to_string(::getpid()) + "-" + info->name());
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::vector<float> to_f32(const gguf::File& f, const gguf::TensorInfo& t) {
  std::vector<float> out(t.n_elements());
  const void* src = f.tensor_data(t).data();
  const auto type = static_cast<ggml_type>(t.type);
  if (type == GGML_TYPE_F32) {
    std::memcpy(out.data(), src, out.size() * sizeof(float));
  } else {
    ggml_get_type_traits(type)->to_float(src, out.data(), t.n_elements());
  }
  return out;
}

double relative_rms(const std::vector<float>& want, const std::vector<float>& got) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    err += (got[i] - want[i]) * double(got[i] - want[i]);
    ref += want[i] * double(want[i]);
  }
  return std::sqrt(err / ref);
}

std::vector<TensorDesc> describe(const gguf::File& f) {
  std::vector<TensorDesc> d;
  for (const auto& t : f.tensors()) d.push_back({t.name, t.type, t.ne});
  return d;
}

ModelShape stories_shape() {
  return {"llama", 5, 8, 4, 0};
}

struct Quantized {
  QuantizeReport report;
  gguf::File file;
  size_t progress_calls = 0;
};

Quantized quantize_stories(const TempDir& dir, const std::string& type, int threads = 2) {
  QuantizeOptions o;
  o.input = stories_path();
  o.output = dir.file("out-" + type + ".gguf");
  o.type = type;
  o.threads = threads;
  size_t calls = 0;
  o.progress = [&](size_t done, size_t total) {
    ++calls;
    EXPECT_EQ(done, calls);
    EXPECT_EQ(total, 48u);
  };
  auto report = quantize_gguf(o);
  EXPECT_TRUE(report.ok()) << report.error().message;
  auto file = gguf::File::open(o.output);
  EXPECT_TRUE(file.ok()) << file.error().message;
  return {*report, std::move(*file), calls};
}

// Every tensor's type as the rules say, the expected types for stories260K,
// and the values close to the original.
void check_file(const Quantized& q, const std::string& type,
                const std::map<std::string, gguf::TensorType>& expected, double max_rms) {
  auto in = gguf::File::open(stories_path());
  ASSERT_TRUE(in.ok());
  const auto input_descs = describe(*in);
  auto choices = choose_tensor_types(input_descs, stories_shape(), file_type(type));
  ASSERT_TRUE(choices.ok());
  ASSERT_EQ(q.file.tensors().size(), in->tensors().size());
  EXPECT_EQ(q.progress_calls, 48u);
  for (size_t i = 0; i < in->tensors().size(); ++i) {
    const auto& t_in = in->tensors()[i];
    const auto& t_out = q.file.tensors()[i];
    ASSERT_EQ(t_out.name, t_in.name);
    EXPECT_EQ(t_out.ne, t_in.ne);
    EXPECT_EQ(t_out.type, (*choices)[i].type) << t_out.name;
    const std::string name(t_in.name);
    const bool one_d = t_in.ne[1] == 1;
    const auto want = one_d                  ? kTypeF32
                      : expected.count(name) ? expected.at(name)
                                             : file_type(type).base;
    EXPECT_EQ(t_out.type, want) << name;
    if (t_out.type == kTypeF32) continue;
    const double rms = relative_rms(to_f32(*in, t_in), to_f32(q.file, t_out));
    EXPECT_LT(rms, t_out.type == kTypeF16 ? 1e-3 : max_rms) << name;
  }
}

void check_metadata(const gguf::File& in, const gguf::File& out, uint32_t file_type) {
  ASSERT_EQ(out.metadata().size(), in.metadata().size() + 2);  // stories260K has neither key
  for (size_t i = 0; i < in.metadata().size(); ++i) {
    EXPECT_EQ(out.metadata()[i].key, in.metadata()[i].key);
    EXPECT_EQ(gguf::to_display(out.metadata()[i].value), gguf::to_display(in.metadata()[i].value))
        << in.metadata()[i].key;
  }
  EXPECT_EQ(*out.get_uint("general.file_type"), file_type);
  EXPECT_EQ(*out.get_uint("general.quantization_version"), 2u);
}

std::map<std::string, gguf::TensorType> per_layer(const char* what, gguf::TensorType a,
                                                  gguf::TensorType b, std::vector<int> b_layers) {
  std::map<std::string, gguf::TensorType> m;
  for (int i = 0; i < 5; ++i) {
    const bool is_b = std::find(b_layers.begin(), b_layers.end(), i) != b_layers.end();
    m[blk(i, what)] = is_b ? b : a;
  }
  return m;
}

TEST(QuantizeFile, Q8_0) {
  TempDir dir;
  const Quantized q = quantize_stories(dir, "Q8_0");
  // ffn_down rows are 172 long, not a multiple of 32: F16 (llama.cpp's last fallback).
  auto expected = per_layer("ffn_down", kTypeF16, kTypeF16, {});
  check_file(q, "q8_0", expected, 0.01);
  EXPECT_EQ(q.report.n_tensors, 48u);
  EXPECT_EQ(q.report.n_converted, 37u);  // all but the 11 norms
  EXPECT_EQ(q.report.n_fallback, 5u);
  EXPECT_LT(q.report.output_bytes, q.report.input_bytes / 3);
  check_metadata(*gguf::File::open(stories_path()), q.file, 7);
}

TEST(QuantizeFile, Q4_0) {
  TempDir dir;
  const Quantized q = quantize_stories(dir, "q4_0", 1);
  auto expected = per_layer("ffn_down", kTypeF16, kTypeF16, {});
  expected["output.weight"] = kTypeQ8_0;  // Q6_K does not fit 64-long rows
  check_file(q, "q4_0", expected, 0.1);
  check_metadata(*gguf::File::open(stories_path()), q.file, 2);
}

TEST(QuantizeFile, Q4KM) {
  TempDir dir;
  const Quantized q = quantize_stories(dir, "q4_K_M");
  // 64-long rows do not fit Q4_K's or Q6_K's 256 blocks: Q5_0, and Q8_0 where
  // the mix gives more bits (attn_v on layers 2 and 4 of 5, the output).
  std::map<std::string, gguf::TensorType> expected;
  for (const char* what : {"attn_q", "attn_k", "attn_output", "ffn_gate", "ffn_up"}) {
    expected.merge(per_layer(what, kTypeQ5_0, kTypeQ5_0, {}));
  }
  expected.merge(per_layer("attn_v", kTypeQ5_0, kTypeQ8_0, {2, 4}));
  expected.merge(per_layer("ffn_down", kTypeF16, kTypeF16, {}));
  expected["token_embd.weight"] = kTypeQ5_0;
  expected["output.weight"] = kTypeQ8_0;
  check_file(q, "q4_K_M", expected, 0.1);
  check_metadata(*gguf::File::open(stories_path()), q.file, 15);
}

TEST(QuantizeFile, ThreadCountDoesNotChangeTheBytes) {
  TempDir dir;
  const Quantized one = quantize_stories(dir, "q4_K_M", 1);
  const auto a = std::vector<uint8_t>(one.file.bytes().begin(), one.file.bytes().end());
  const Quantized three = quantize_stories(dir, "q4_K_M", 3);
  const auto b = std::vector<uint8_t>(three.file.bytes().begin(), three.file.bytes().end());
  EXPECT_TRUE(a == b);
}

TEST(QuantizeFile, F16Input) {
  TempDir dir;
  auto in = gguf::File::open(stories_path());
  ASSERT_TRUE(in.ok());
  gguf::Writer w;
  w.copy_metadata(*in);
  w.set("general.file_type", uint32_t{1});
  for (const auto& t : in->tensors()) {
    const auto f32 = to_f32(*in, t);
    std::vector<uint8_t> f16(f32.size() * sizeof(ggml_fp16_t));
    ggml_fp32_to_fp16_row(f32.data(), reinterpret_cast<ggml_fp16_t*>(f16.data()), f32.size());
    gguf::TensorSpec spec{std::string(t.name), kTypeF16,
                          std::vector<int64_t>(t.ne.begin(), t.ne.begin() + t.n_dims)};
    ASSERT_TRUE(w.add_tensor(spec, std::move(f16)).ok());
  }
  const std::string f16_path = dir.file("f16.gguf");
  ASSERT_TRUE(w.write(f16_path).ok());
  QuantizeOptions o{f16_path, dir.file("q8.gguf"), "q8_0", 2, {}};
  auto report = quantize_gguf(o);
  ASSERT_TRUE(report.ok()) << report.error().message;
  auto out = gguf::File::open(o.output);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out->get_uint("general.file_type"), 7u);
  for (size_t i = 0; i < in->tensors().size(); ++i) {
    const auto& t = out->tensors()[i];
    const bool norm = t.ne[1] == 1;
    EXPECT_EQ(t.type, norm ? kTypeF16 : t.ne[0] % 32 ? kTypeF16 : kTypeQ8_0) << t.name;
    EXPECT_LT(relative_rms(to_f32(*in, in->tensors()[i]), to_f32(*out, t)), 0.01) << t.name;
  }
}

TEST(QuantizeFile, Errors) {
  TempDir dir;
  QuantizeOptions o{stories_path(), dir.file("x.gguf"), "q4_k_x", 1, {}};
  auto bad_type = quantize_gguf(o);
  ASSERT_FALSE(bad_type.ok());
  EXPECT_EQ(bad_type.error().code, Errc::kInvalidArgument);

  o.type = "q8_0";
  o.input = dir.file("missing.gguf");
  auto missing = quantize_gguf(o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_NE(missing.error().message.find("missing.gguf"), std::string::npos);

  o.input = stories_path();
  ASSERT_TRUE(quantize_gguf(o).ok());
  o.input = o.output;
  o.output = dir.file("twice.gguf");
  auto quantized = quantize_gguf(o);
  ASSERT_FALSE(quantized.ok());
  EXPECT_EQ(quantized.error().code, Errc::kUnsupported);
  EXPECT_NE(quantized.error().message.find("quantization is only supported for F16 and F32 models"),
            std::string::npos)
      << quantized.error().message;
  EXPECT_FALSE(fs::exists(o.output));
}

// llama-quantize's own Q8_0/Q4_0 copies of stories260K (shared data). They
// were made by an older llama.cpp that kept the 172-long ffn_down rows F32;
// the pinned llama.cpp (and we) make them F16. Every other tensor must have
// the same type and, as Q8_0/Q4_0 quantization is deterministic, the same bytes.
void compare_with_llama_cpp(const std::string& type, const std::string& file) {
  CRIA_REQUIRE_SHARED(dir_path, "models/derived");
  auto theirs = gguf::File::open(dir_path + "/" + file);
  ASSERT_TRUE(theirs.ok()) << theirs.error().message;
  TempDir dir;
  const Quantized ours = quantize_stories(dir, type);
  EXPECT_EQ(*ours.file.get_uint("general.file_type"), *theirs->get_uint("general.file_type"));
  size_t same_bytes = 0;
  for (const auto& t : theirs->tensors()) {
    const gguf::TensorInfo* o = ours.file.find_tensor(t.name);
    ASSERT_NE(o, nullptr) << t.name;
    if (t.ne[0] % 32 != 0) {
      EXPECT_EQ(t.type, kTypeF32) << t.name;
      EXPECT_EQ(o->type, kTypeF16) << t.name;
      continue;
    }
    ASSERT_EQ(o->type, t.type) << t.name;
    const auto a = ours.file.tensor_data(*o);
    const auto b = theirs->tensor_data(t);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << t.name;
    ++same_bytes;
  }
  EXPECT_EQ(same_bytes, 43u);
  for (const auto& kv : theirs->metadata()) {
    EXPECT_NE(ours.file.find(kv.key), nullptr) << kv.key;
  }
}

TEST(QuantizeGolden, Q8_0MatchesLlamaQuantize) {
  compare_with_llama_cpp("q8_0", "stories260K-Q8_0.gguf");
}

TEST(QuantizeGolden, Q4_0MatchesLlamaQuantize) {
  compare_with_llama_cpp("q4_0", "stories260K-Q4_0.gguf");
}

}  // namespace
}  // namespace cria::quantize
