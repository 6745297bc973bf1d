#include "tokenizer/models.h"
#include "tokenizer/unicode.h"

namespace cria::tokenizer {
namespace {

constexpr std::string_view kWordPrefix = "\xE2\x96\x81";  // U+2581

bool is_isolated(uint32_t cp, CharClass cls) {
  const bool ascii_symbol =
      cp < 0x7F && ((cp >= 0x21 && cp <= 0x2F) || (cp >= 0x3A && cp <= 0x40) ||
                    (cp >= 0x5B && cp <= 0x60) || (cp >= 0x7B && cp <= 0x7E));
  return cls == CharClass::kPunctuation || ascii_symbol || is_cjk_ideograph(cp);
}

// BERT's BasicTokenizer: optional NFD + accent stripping and lowercasing,
// split on whitespace, punctuation / ASCII symbols / CJK ideographs as words
// of their own, control characters dropped.
void pre_split(const Vocab& v, std::string_view text, std::vector<std::string>& words) {
  words.assign(1, "");
  for (size_t pos = 0; pos < text.size();) {
    uint32_t cp = utf8_decode(text, pos);
    if (v.strip_accents) cp = nfd_base(cp);
    if (is_whitespace(cp)) {
      if (!words.back().empty()) words.emplace_back();
      continue;
    }
    const CharClass cls = char_class(cp);
    if (cp == 0 || cp == kReplacementChar || cls == CharClass::kControl) continue;
    if (v.strip_accents && cls == CharClass::kMark) continue;
    if (v.lowercase) cp = to_lower(cp);
    if (is_isolated(cp, cls)) {
      if (!words.back().empty()) words.emplace_back();
      utf8_append(words.back(), cp);
      words.emplace_back();
    } else {
      utf8_append(words.back(), cp);
    }
  }
  if (words.back().empty()) words.pop_back();
}

// Longest match first, left to right; a word with an unmatchable part is [UNK].
void encode_word(const Vocab& v, std::string_view word, std::vector<int32_t>& out) {
  const size_t start = out.size();
  for (size_t i = 0; i < word.size();) {
    size_t j = std::min(word.size(), i + v.max_token_len);
    int32_t id = -1;
    for (; j > i; --j) {
      id = v.find(word.substr(i, j - i));
      if (id >= 0) break;
    }
    if (id < 0) {
      out.resize(start);
      break;
    }
    out.push_back(id);
    i = j;
  }
  if (out.size() == start && v.unk >= 0) out.push_back(v.unk);
}

}  // namespace

void wpm_encode(const Vocab& v, std::string_view text, std::vector<int32_t>& out) {
  std::vector<std::string> words;
  pre_split(v, text, words);
  std::string word;
  for (const std::string& w : words) {
    word.assign(kWordPrefix).append(w);
    encode_word(v, word, out);
  }
}

}  // namespace cria::tokenizer
