#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "gguf/reader.h"
#include "gguf/writer.h"
#include "support/shared_data.h"

namespace cria::gguf {
namespace {

// Builds raw GGUF bytes field by field, so tests can also write invalid files.
class Raw {
 public:
  Raw& u32(uint32_t v) { return put(&v, 4); }
  Raw& u64(uint64_t v) { return put(&v, 8); }
  Raw& str(std::string_view s) {
    u64(s.size());
    return put(s.data(), s.size());
  }
  Raw& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    put("GGUF", 4);
    u32(version);
    u64(n_tensors);
    return u64(n_kv);
  }
  Raw& kv_u32(std::string_view key, uint32_t v) {
    str(key);
    u32(static_cast<uint32_t>(ValueType::kUint32));
    return u32(v);
  }
  Raw& kv_str(std::string_view key, std::string_view v) {
    str(key);
    u32(static_cast<uint32_t>(ValueType::kString));
    return str(v);
  }
  Raw& tensor(std::string_view name, std::vector<uint64_t> ne, uint32_t type, uint64_t offset) {
    str(name);
    u32(static_cast<uint32_t>(ne.size()));
    for (uint64_t n : ne) u64(n);
    u32(type);
    return u64(offset);
  }
  Raw& pad_to(size_t alignment) {
    bytes.resize((bytes.size() + alignment - 1) / alignment * alignment, 0);
    return *this;
  }
  Raw& zeros(size_t n) {
    bytes.resize(bytes.size() + n, 0);
    return *this;
  }
  Raw& put(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes.insert(bytes.end(), b, b + n);
    return *this;
  }
  std::vector<uint8_t> bytes;
};

std::string parse_error(std::vector<uint8_t> bytes) {
  auto f = File::parse(std::move(bytes), "t.gguf");
  if (f.ok()) return "";
  EXPECT_NE(f.error().message.find("t.gguf"), std::string::npos) << f.error().message;
  return f.error().message;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(GgufReader, ReadsMetadataOfEveryType) {
  Writer w;
  w.set("general.architecture", "llama");
  w.set("a.u8", uint8_t{200});
  w.set("a.i8", int8_t{-3});
  w.set("a.u16", uint16_t{65000});
  w.set("a.i16", int16_t{-30000});
  w.set("a.u32", uint32_t{4000000000u});
  w.set("a.i32", int32_t{-7});
  w.set("a.f32", 1.5f);
  w.set("a.bool", true);
  w.set("a.u64", uint64_t{1} << 40);
  w.set("a.i64", int64_t{-1} << 40);
  w.set("a.f64", 0.25);
  w.set("a.strs", make_array(std::vector<std::string>{"x", "", "zz"}));
  w.set("a.floats", make_array(std::vector<float>{1.f, 2.f, 3.f}));
  OwnedArray nested;
  nested.type = ValueType::kArray;
  nested.arrays = {make_array(std::vector<int32_t>{1, 2}), make_array(std::vector<int32_t>{3})};
  nested.count = 2;
  w.set("a.nested", nested);

  auto f = File::parse(w.to_bytes(), "t.gguf");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->architecture(), "llama");
  EXPECT_EQ(*f->get_int("a.u8"), 200);
  EXPECT_EQ(*f->get_int("a.i8"), -3);
  EXPECT_EQ(*f->get_int("a.u16"), 65000);
  EXPECT_EQ(*f->get_int("a.i16"), -30000);
  EXPECT_EQ(*f->get_uint("a.u32"), 4000000000u);
  EXPECT_EQ(*f->get_int("a.i32"), -7);
  EXPECT_EQ(*f->get_float("a.f32"), 1.5);
  EXPECT_TRUE(*f->get_bool("a.bool"));
  EXPECT_EQ(*f->get_uint("a.u64"), uint64_t{1} << 40);
  EXPECT_EQ(*f->get_int("a.i64"), int64_t{-1} << 40);
  EXPECT_EQ(*f->get_float("a.f64"), 0.25);
  const Array* strs = *f->get_array("a.strs");
  ASSERT_EQ(strs->count, 3u);
  EXPECT_EQ(strs->strings[2], "zz");
  const Array* floats = *f->get_array("a.floats");
  EXPECT_EQ(floats->type, ValueType::kFloat32);
  EXPECT_EQ(floats->at<float>(2), 3.f);
  const Array* n = *f->get_array("a.nested");
  ASSERT_EQ(n->arrays.size(), 2u);
  EXPECT_EQ(n->arrays[0].at<int32_t>(1), 2);
  EXPECT_EQ(to_display(*f->find("a.nested")), "[[1, 2], [3]]");
  EXPECT_EQ(to_display(*f->find("a.strs"), 2), "[\"x\", \"\", ... (1 more)]");
}

TEST(GgufReader, GettersNameTheKeyAndTheTypes) {
  Writer w;
  w.set("general.name", "x");
  w.set("neg", int32_t{-1});
  auto f = File::parse(w.to_bytes(), "t.gguf");
  ASSERT_TRUE(f.ok());
  auto missing = f->get_int("llama.block_count");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_TRUE(contains(missing.error().message, "missing metadata key 'llama.block_count'"));
  auto wrong = f->get_int("general.name");
  ASSERT_FALSE(wrong.ok());
  EXPECT_TRUE(contains(wrong.error().message, "has type string, expected an integer"))
      << wrong.error().message;
  EXPECT_FALSE(f->get_uint("neg").ok());
  EXPECT_FALSE(f->get_string("neg").ok());
}

TEST(GgufReader, RefusesBadHeaders) {
  EXPECT_TRUE(contains(parse_error({}), "truncated"));
  EXPECT_TRUE(contains(parse_error({'G', 'G'}), "truncated"));
  EXPECT_TRUE(contains(parse_error(Raw().put("GGML", 4).u32(3).bytes), "not a GGUF file"));
  EXPECT_TRUE(contains(parse_error(Raw().header(0, 0, 1).bytes), "version 1"));
  EXPECT_TRUE(contains(parse_error(Raw().header(0, 0, 0x03000000).bytes), "big-endian"));
  EXPECT_TRUE(contains(parse_error(Raw().header(0, 0, 7).bytes), "unsupported GGUF version 7"));
  EXPECT_TRUE(contains(parse_error(Raw().header(0, 1ull << 60).bytes), "cannot fit"));
  EXPECT_TRUE(contains(parse_error(Raw().header(1ull << 60, 0).bytes), "cannot fit"));
  EXPECT_EQ(parse_error(Raw().header(0, 0).bytes), "");  // an empty but valid file
}

TEST(GgufReader, RefusesBadMetadata) {
  EXPECT_TRUE(contains(parse_error(Raw().header(0, 2).kv_u32("k", 1).kv_u32("k", 2).bytes),
                       "appears twice"));
  auto huge_string = Raw().header(0, 1).str("k").u32(8).u64(1ull << 62).zeros(16).bytes;
  EXPECT_TRUE(contains(parse_error(huge_string), "truncated"));
  auto bad_type = Raw().header(0, 1).str("k").u32(99).zeros(16).bytes;
  EXPECT_TRUE(contains(parse_error(bad_type), "unknown type 99"));
  auto huge_array = Raw().header(0, 1).str("k").u32(9).u32(6).u64(1ull << 61).zeros(16).bytes;
  EXPECT_TRUE(contains(parse_error(huge_array), "longer than the file"));
  Raw deep;
  deep.header(0, 1).str("k").u32(9);
  for (int i = 0; i < 20; ++i) deep.u32(9).u64(1);
  deep.u32(4).u64(0);
  EXPECT_TRUE(contains(parse_error(deep.bytes), "nested too deeply"));
  auto bad_align = Raw().header(0, 1).kv_u32("general.alignment", 24).bytes;
  EXPECT_TRUE(contains(parse_error(bad_align), "power of two"));
}

TEST(GgufReader, RefusesBadTensors) {
  auto one = [](std::vector<uint64_t> ne, uint32_t type, uint64_t offset, size_t data) {
    return Raw().header(1, 0).tensor("w", std::move(ne), type, offset).pad_to(32).zeros(data).bytes;
  };
  EXPECT_EQ(parse_error(one({8, 2}, kTypeF32, 0, 64)), "");
  EXPECT_TRUE(contains(parse_error(one({8, 2}, kTypeF32, 0, 60)), "truncated GGUF: tensor 'w'"));
  EXPECT_TRUE(
      contains(parse_error(one({8, 2}, kTypeF32, 16, 96)), "not a multiple of the alignment"));
  EXPECT_TRUE(contains(parse_error(one({8, 2}, 4, 0, 64)), "unknown type id 4"));
  EXPECT_TRUE(contains(parse_error(one({8, 2}, 77, 0, 64)), "unknown type id 77"));
  EXPECT_TRUE(
      contains(parse_error(one({16}, kTypeQ4_0, 0, 64)), "not a multiple of its block size"));
  EXPECT_TRUE(contains(parse_error(one({1ull << 40, 1ull << 40}, kTypeF32, 0, 64)), "too many"));
  EXPECT_TRUE(contains(parse_error(one({1, 2, 3, 4, 5}, kTypeF32, 0, 64)), "5 dimensions"));
  EXPECT_TRUE(contains(parse_error(one({1ull << 63}, kTypeF32, 0, 64)), "dimension 0"));
  auto dup = Raw().header(2, 0).tensor("w", {8}, 0, 0).tensor("w", {8}, 0, 32).pad_to(32).zeros(64);
  EXPECT_TRUE(contains(parse_error(dup.bytes), "'w' appears twice"));
  auto overlap = Raw().header(2, 0).tensor("a", {16}, 0, 0).tensor("b", {8}, 0, 32).pad_to(32);
  EXPECT_TRUE(contains(parse_error(overlap.zeros(96).bytes), "overlap"));
  auto long_name = Raw().header(1, 0).tensor(std::string(64, 'n'), {8}, 0, 0).pad_to(32).zeros(32);
  EXPECT_TRUE(contains(parse_error(long_name.bytes), "longer than 63 bytes"));
}

TEST(GgufWriter, ChecksTensorsItAccepts) {
  Writer w;
  std::vector<uint8_t> data(64);
  EXPECT_TRUE(w.add_tensor({"w", kTypeF32, {8, 2}}, data).ok());
  EXPECT_FALSE(w.add_tensor({"w", kTypeF32, {8, 2}}, data).ok());
  EXPECT_FALSE(w.add_tensor({"x", kTypeF32, {8, 3}}, data).ok());
  EXPECT_FALSE(w.add_tensor({"y", kTypeQ4_0, {16}}, data).ok());
  EXPECT_FALSE(w.add_tensor({"z", 4, {8, 2}}, data).ok());
  EXPECT_FALSE(w.add_tensor({std::string(64, 'n'), kTypeF32, {8, 2}}, data).ok());
}

TEST(GgufWriter, WritesTensorsWithCustomAlignment) {
  Writer w;
  w.set("general.alignment", uint32_t{64});
  std::vector<float> a = {1, 2, 3}, b(64, 0.5f);
  std::vector<uint8_t> q8(34 * 2, 7);  // two q8_0 blocks
  ASSERT_TRUE(w.add_tensor({"a", kTypeF32, {3}}, {reinterpret_cast<uint8_t*>(a.data()), 12}).ok());
  ASSERT_TRUE(w.add_tensor({"b", kTypeF32, {16, 4}},
                           std::vector<uint8_t>(reinterpret_cast<uint8_t*>(b.data()),
                                                reinterpret_cast<uint8_t*>(b.data()) + 256))
                  .ok());
  ASSERT_TRUE(w.add_tensor({"q", kTypeQ8_0, {64}}, q8).ok());
  auto f = File::parse(w.to_bytes(), "t.gguf");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->alignment(), 64u);
  EXPECT_EQ(f->data_offset() % 64, 0u);
  ASSERT_EQ(f->tensors().size(), 3u);
  const TensorInfo* tb = f->find_tensor("b");
  ASSERT_NE(tb, nullptr);
  EXPECT_EQ(tb->offset, 64u);
  EXPECT_EQ(tb->ne[0], 16);
  EXPECT_EQ(tb->ne[1], 4);
  EXPECT_EQ(tb->n_dims, 2u);
  float v;
  std::memcpy(&v, f->tensor_data(*tb).data() + 4, 4);
  EXPECT_EQ(v, 0.5f);
  EXPECT_EQ(f->find_tensor("q")->size, 68u);
  EXPECT_EQ(f->tensor_data(*f->find_tensor("q"))[0], 7);
}

// Reading a file and writing back everything it holds gives the same bytes.
void expect_round_trip(const std::string& path) {
  auto f = File::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  Writer w;
  w.copy_metadata(*f);
  for (const auto& t : f->tensors()) {
    TensorSpec spec{std::string(t.name), t.type, {}};
    spec.shape.assign(t.ne.begin(), t.ne.begin() + t.n_dims);
    ASSERT_TRUE(w.add_tensor(spec, f->tensor_data(t)).ok());
  }
  const std::string out =
      std::filesystem::temp_directory_path() / ("cria-rt-" + std::to_string(::getpid()) + ".gguf");
  ASSERT_TRUE(w.write(out).ok());
  auto again = File::open(out);
  ASSERT_TRUE(again.ok()) << again.error().message;
  const auto a = f->bytes(), b = again->bytes();
  EXPECT_TRUE(a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0)
      << path << ": round trip differs (" << a.size() << " vs " << b.size() << " bytes)";
  std::filesystem::remove(out);
}

TEST(GgufRoundTrip, BundledModel) {
  const std::string path = test::source_dir() + "/models/stories260K.gguf";
  auto f = File::open(path);
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->version(), 3u);
  EXPECT_EQ(f->architecture(), "llama");
  EXPECT_EQ(f->tensors().size(), 48u);
  EXPECT_EQ(*f->get_uint("llama.context_length"), 2048u);
  EXPECT_EQ(*f->get_uint("llama.embedding_length"), 64u);
  const Array* tokens = *f->get_array("tokenizer.ggml.tokens");
  EXPECT_EQ(tokens->count, 512u);
  const TensorInfo* emb = f->find_tensor("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->ne[0], 64);
  EXPECT_EQ(emb->ne[1], 512);
  EXPECT_EQ(emb->size, 64u * 512u * 4u);
  expect_round_trip(path);
}

TEST(GgufRoundTrip, EverySharedFile) {
  CRIA_REQUIRE_SHARED(dir, "models");
  auto files = test::shared_files("", ".gguf");
  ASSERT_GE(files.size(), 20u);
  for (const auto& path : files) {
    SCOPED_TRACE(path);
    expect_round_trip(path);
  }
}

}  // namespace
}  // namespace cria::gguf
