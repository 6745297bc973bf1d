// UTF-8 helpers and the few Unicode facts the tokenizers need. Decoding
// follows llama.cpp where input is invalid: each byte that does not start a
// valid sequence becomes U+FFFD, and decoding resumes at the next byte.
// Unlike llama.cpp, overlong forms, surrogates and code points above
// U+10FFFF are invalid too (PCRE2 refuses them), so such input is replaced.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cria::tokenizer {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

// Bytes of the sequence a lead byte announces (1 for ASCII and stray bytes).
size_t utf8_seq_len(uint8_t lead);
// Decodes the code point at `pos` and advances it; invalid input yields U+FFFD
// and advances by one byte.
uint32_t utf8_decode(std::string_view s, size_t& pos);
void utf8_append(std::string& out, uint32_t cp);
// Copies `s` into `out` (cleared first) with invalid sequences replaced by U+FFFD.
void utf8_sanitize(std::string_view s, std::string& out);
// Length of the longest prefix of `s` that does not end inside an incomplete
// (but so far valid) multi-byte sequence.
size_t utf8_complete_prefix(std::string_view s);

// White_Space, as llama.cpp's `\s` (includes U+0085, unlike PCRE2's `\s`).
bool is_whitespace(uint32_t cp);
// The CJK ideograph ranges of BERT's BasicTokenizer.
bool is_cjk_ideograph(uint32_t cp);

enum class CharClass : uint8_t { kOther, kPunctuation, kMark, kControl };
CharClass char_class(uint32_t cp);
uint32_t to_lower(uint32_t cp);
// First code point of the canonical decomposition (the base letter).
uint32_t nfd_base(uint32_t cp);

// Generated tables (gen_unicode_tables.py).
struct CategoryRange {
  uint32_t start;
  CharClass cls;
};
struct LowercaseRun {
  uint32_t first, last;
  int32_t stride, delta;
};
struct NfdRun {
  uint32_t first, last, base;
};
extern const CategoryRange kCategoryRanges[];
extern const size_t kCategoryRangeCount;
extern const LowercaseRun kLowercaseRuns[];
extern const size_t kLowercaseRunCount;
extern const NfdRun kNfdRuns[];
extern const size_t kNfdRunCount;

}  // namespace cria::tokenizer
