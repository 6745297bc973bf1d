// UTF-8 helpers for the grammar parser and matcher (internal to src/sampler).
#pragma once

#include <cstdint>
#include <string_view>

namespace cria {

// Bytes that follow a lead byte (0 for ASCII); -1 for a byte that cannot start a
// code point (a continuation byte, 0xC0, 0xC1, 0xF5..0xFF).
inline int utf8_tail_length(uint8_t b) {
  if (b < 0x80) return 0;
  if (b >= 0xC2 && b <= 0xDF) return 1;
  if (b >= 0xE0 && b <= 0xEF) return 2;
  if (b >= 0xF0 && b <= 0xF4) return 3;
  return -1;
}

// The payload bits of a lead byte.
inline uint32_t utf8_lead_bits(uint8_t b) {
  if (b < 0x80) return b;
  if (b < 0xE0) return b & 0x1Fu;
  if (b < 0xF0) return b & 0x0Fu;
  return b & 0x07u;
}

// The valid code points (shortest form, at most U+10FFFF) encoded in 1 + tail bytes
// whose leading bits are `bits` with `need` continuation bytes still to come; false
// when there is none.
inline bool utf8_prefix_range(uint32_t bits, int need, int tail, uint32_t& lo, uint32_t& hi) {
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  const int shift = 6 * need;
  lo = bits << shift;
  hi = lo | ((uint32_t{1} << shift) - 1);
  if (lo < kMin[tail]) lo = kMin[tail];
  if (hi > 0x10FFFF) hi = 0x10FFFF;
  return lo <= hi && !(lo >= 0xD800 && hi <= 0xDFFF);  // not only surrogates
}

// The code points whose encoding starts with byte b; false when none does.
inline bool utf8_lead_range(uint8_t b, uint32_t& lo, uint32_t& hi) {
  const int tail = utf8_tail_length(b);
  if (tail < 0) return false;
  return utf8_prefix_range(utf8_lead_bits(b), tail, tail, lo, hi);
}

// Whether cp, encoded in 1 + tail bytes, is a valid scalar in its shortest form.
inline bool utf8_valid_scalar(uint32_t cp, int tail) {
  static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
  if (cp < kMin[tail] || cp > 0x10FFFF) return false;
  return cp < 0xD800 || cp > 0xDFFF;
}

// Decodes the code point at the start of s into cp; returns its length, 0 when invalid.
inline size_t utf8_decode(std::string_view s, uint32_t& cp) {
  if (s.empty()) return 0;
  const auto b = static_cast<uint8_t>(s[0]);
  const int tail = utf8_tail_length(b);
  if (tail < 0 || s.size() < static_cast<size_t>(tail) + 1) return 0;
  cp = utf8_lead_bits(b);
  for (int i = 1; i <= tail; ++i) {
    const auto c = static_cast<uint8_t>(s[static_cast<size_t>(i)]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3Fu);
  }
  return utf8_valid_scalar(cp, tail) ? static_cast<size_t>(tail) + 1 : 0;
}

}  // namespace cria
