// Robustness: truncated and mutated variants of real GGUF files are either
// read correctly or refused with a clear message; never a crash, hang or
// sanitizer report (this test also runs in the ASan+UBSan build).
#include <algorithm>
#include <fstream>
#include <iterator>
#include <random>

#include <gtest/gtest.h>

#include "fuzz/gguf_exercise.h"
#include "gguf/reader.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Where the parser looks: the header, metadata and tensor index. Mutations
// are aimed there; the tensor data itself is never interpreted.
size_t header_span(const std::vector<uint8_t>& bytes) {
  auto f = gguf::File::parse(bytes, "base.gguf");
  EXPECT_TRUE(f.ok()) << f.error().message;
  return f.ok() ? std::min<size_t>(bytes.size(), f->data_offset() + 64) : bytes.size();
}

class Mutator {
 public:
  Mutator(const std::vector<uint8_t>& base, uint32_t seed)
      : base_(base), span_(header_span(base)), rng_(seed) {}

  std::vector<uint8_t> truncated() {
    std::vector<uint8_t> v = base_;
    // Mostly inside the parsed region, sometimes anywhere in the data.
    const size_t limit = pick(4) == 0 ? base_.size() : span_;
    v.resize(pick(limit));
    return v;
  }

  std::vector<uint8_t> byte_flips() {
    std::vector<uint8_t> v = base_;
    const size_t n = 1 + pick(8);
    for (size_t i = 0; i < n; ++i) v[pick(span_)] ^= static_cast<uint8_t>(1 + pick(255));
    return v;
  }

  // Overwrites a 4- or 8-byte field with a value chosen to break size checks.
  std::vector<uint8_t> smashed_field() {
    static constexpr uint64_t kValues[] = {0,          1,          2,          3,
                                           9,          12,         0x7F,       0xFF,
                                           0xFFFF,     0x7FFFFFFF, 0xFFFFFFFF, 0x100000000ULL,
                                           1ULL << 40, 1ULL << 62, ~0ULL >> 1, ~0ULL};
    std::vector<uint8_t> v = base_;
    const uint64_t value = kValues[pick(std::size(kValues))];
    const size_t width = pick(2) == 0 ? 4 : 8;
    const size_t at = pick(span_ - width);
    for (size_t i = 0; i < width; ++i) v[at + i] = static_cast<uint8_t>(value >> (8 * i));
    return v;
  }

 private:
  size_t pick(size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_);
  }

  const std::vector<uint8_t>& base_;
  size_t span_;
  std::mt19937_64 rng_;
};

struct Tally {
  int accepted = 0;
  int refused = 0;
};

void check(std::vector<uint8_t> bytes, Tally& tally) {
  auto r = exercise_gguf(std::move(bytes));
  if (r.ok) {
    ++tally.accepted;
  } else {
    ++tally.refused;
    ASSERT_NE(r.error.find("mutant.gguf: "), std::string::npos) << r.error;
    ASSERT_GT(r.error.size(), 25u) << r.error;
  }
}

Tally mutate_file(const std::string& path, int variants_per_kind, uint32_t seed) {
  const auto base = read_bytes(path);
  Mutator m(base, seed);
  Tally tally;
  for (int i = 0; i < variants_per_kind; ++i) {
    check(m.truncated(), tally);
    check(m.byte_flips(), tally);
    check(m.smashed_field(), tally);
  }
  return tally;
}

TEST(GgufMutation, BundledModel) {
  Tally t = mutate_file(source_dir() + "/models/stories260K.gguf", 150, 1);
  EXPECT_EQ(t.accepted + t.refused, 450);
  EXPECT_GT(t.refused, 100);  // the mutations really break files
  std::cout << "stories260K: " << t.accepted << " accepted, " << t.refused << " refused\n";
}

TEST(GgufMutation, SharedFiles) {
  CRIA_REQUIRE_SHARED(dir, "fixtures");
  const std::string files[] = {"models/vocab/ggml-vocab-bert-bge.gguf",
                               "models/vocab/ggml-vocab-phi-3.gguf",
                               "models/derived/stories260K-Q4_0.gguf", "fixtures/qwen3moe.gguf",
                               "fixtures/llama-e256-Q4_K_M.gguf"};
  int total = 0;
  uint32_t seed = 100;
  for (const auto& f : files) {
    Tally t = mutate_file(shared_dir() + "/" + f, 70, seed++);
    std::cout << f << ": " << t.accepted << " accepted, " << t.refused << " refused\n";
    total += t.accepted + t.refused;
  }
  EXPECT_EQ(total, 1050);
}

TEST(GgufMutation, EveryTruncationOfTheHeader) {
  const auto base = read_bytes(source_dir() + "/models/stories260K.gguf");
  // Every prefix up to the end of the tensor index: each must be refused.
  Tally t;
  for (size_t n = 0; n < 4096; n += 1) {
    check(std::vector<uint8_t>(base.begin(), base.begin() + static_cast<long>(n)), t);
  }
  EXPECT_EQ(t.accepted, 0);
}

}  // namespace
}  // namespace cria::test
