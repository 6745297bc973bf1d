#include "tokenizer/unicode.h"

#include <algorithm>
#include <iterator>

namespace cria::tokenizer {

size_t utf8_seq_len(uint8_t lead) {
  if (lead < 0xC0) return 1;
  if (lead < 0xE0) return 2;
  if (lead < 0xF0) return 3;
  return lead < 0xF8 ? 4 : 1;
}

uint32_t utf8_decode(std::string_view s, size_t& pos) {
  const auto lead = static_cast<uint8_t>(s[pos]);
  if (lead < 0x80) {
    ++pos;
    return lead;
  }
  const size_t n = utf8_seq_len(lead);
  if (n == 1 || pos + n > s.size()) {
    ++pos;
    return kReplacementChar;
  }
  uint32_t cp = lead & (0xFF >> (n + 1));
  for (size_t i = 1; i < n; ++i) {
    const auto c = static_cast<uint8_t>(s[pos + i]);
    if ((c & 0xC0) != 0x80) {
      ++pos;
      return kReplacementChar;
    }
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++pos;
    return kReplacementChar;
  }
  pos += n;
  return cp;
}

void utf8_append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void utf8_sanitize(std::string_view s, std::string& out) {
  out.clear();
  out.reserve(s.size());
  size_t pos = 0;
  while (pos < s.size()) {
    const size_t start = pos;
    const uint32_t cp = utf8_decode(s, pos);
    if (cp == kReplacementChar && pos - start == 1) {
      utf8_append(out, cp);
    } else {
      out.append(s.data() + start, pos - start);
    }
  }
}

size_t utf8_complete_prefix(std::string_view s) {
  // Look back at most 3 bytes for a lead byte whose sequence is cut short.
  const size_t n = s.size();
  for (size_t back = 1; back <= 3 && back <= n; ++back) {
    const auto c = static_cast<uint8_t>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking
    if (c >= 0xC0 && utf8_seq_len(c) > back) return n - back;
    return n;
  }
  return n;
}

bool is_whitespace(uint32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

bool is_cjk_ideograph(uint32_t cp) {
  // As Hugging Face's BertTokenizer (which has 0x2B920 where 0x2B820 is meant).
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B920 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

CharClass char_class(uint32_t cp) {
  const CategoryRange* end = kCategoryRanges + kCategoryRangeCount;
  const CategoryRange* it = std::upper_bound(
      kCategoryRanges, end, cp, [](uint32_t v, const CategoryRange& r) { return v < r.start; });
  return it == kCategoryRanges ? CharClass::kOther : std::prev(it)->cls;
}

uint32_t to_lower(uint32_t cp) {
  const LowercaseRun* end = kLowercaseRuns + kLowercaseRunCount;
  const LowercaseRun* it = std::upper_bound(
      kLowercaseRuns, end, cp, [](uint32_t v, const LowercaseRun& r) { return v < r.first; });
  if (it == kLowercaseRuns) return cp;
  const LowercaseRun& r = *std::prev(it);
  if (cp > r.last || (cp - r.first) % static_cast<uint32_t>(r.stride) != 0) return cp;
  return static_cast<uint32_t>(static_cast<int64_t>(cp) + r.delta);
}

uint32_t nfd_base(uint32_t cp) {
  const NfdRun* end = kNfdRuns + kNfdRunCount;
  const NfdRun* it =
      std::upper_bound(kNfdRuns, end, cp, [](uint32_t v, const NfdRun& r) { return v < r.first; });
  if (it == kNfdRuns) return cp;
  const NfdRun& r = *std::prev(it);
  return cp <= r.last ? r.base : cp;
}

}  // namespace cria::tokenizer
