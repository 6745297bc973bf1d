#include "tokenizer/detokenize.h"

#include <charconv>

#include "tokenizer/models.h"
#include "tokenizer/unicode.h"

namespace cria::tokenizer {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581

std::string unescape_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    if (s.substr(i, kSpaceMark.size()) == kSpaceMark) {
      out += ' ';
      i += kSpaceMark.size();
    } else {
      out += s[i++];
    }
  }
  return out;
}

// "<0xAB>" → "\xAB"; anything else → "".
std::string byte_piece(std::string_view s) {
  unsigned value = 0;
  if (s.size() != 6 || s.substr(0, 3) != "<0x" || s[5] != '>') return {};
  auto [end, ec] = std::from_chars(s.data() + 3, s.data() + 5, value, 16);
  if (ec != std::errc() || end != s.data() + 5) return {};
  return std::string(1, static_cast<char>(value));
}

std::string byte_level_piece(std::string_view s) {
  std::string out;
  for (size_t pos = 0; pos < s.size();) {
    const size_t start = pos;
    const uint32_t cp = utf8_decode(s, pos);
    const int b = byte_from_codepoint(cp);
    if (b >= 0) {
      out += static_cast<char>(b);
    } else {
      out.append(s.substr(start, pos - start));  // not a byte code: keep the text
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> build_pieces(const Vocab& v) {
  std::vector<std::string> pieces(v.text.size());
  for (size_t id = 0; id < v.text.size(); ++id) {
    const std::string& t = v.text[id];
    switch (v.type[id]) {
      case TokenType::kControl:
      case TokenType::kUnknown:
      case TokenType::kUserDefined:
        pieces[id] = t;
        break;
      case TokenType::kNormal:
        pieces[id] = v.model == Model::kBpe ? byte_level_piece(t) : unescape_spaces(t);
        break;
      case TokenType::kByte:
        pieces[id] = byte_piece(t);
        break;
      case TokenType::kUnused:
      case TokenType::kUndefined:
        break;
    }
  }
  return pieces;
}

void clean_up_spaces(std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!out.empty() && out.back() == ' ' && i > 0 && s[i - 1] == ' ') {
      if (c == '?' || c == '!' || c == '.' || c == ',') out.pop_back();
    }
    out += c;
  }
  s.swap(out);
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\'' && i > 0 && i + 1 < s.size() && s[i - 1] == ' ' && s[i + 1] == ' ') {
      out.pop_back();  // " ' " → "'"
      out += c;
      ++i;
      continue;
    }
    out += c;
  }
  s.swap(out);
  out.clear();
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '\'' && i > 0 && s[i - 1] == ' ' && i + 1 < s.size()) {
      const char c1 = s[i + 1];
      const char c2 = i + 2 < s.size() ? s[i + 2] : '\0';
      if (c1 == 's' || c1 == 'm' || ((c1 == 'r' || c1 == 'v') && c2 == 'e')) out.pop_back();
    }
    out += c;
  }
  s.swap(out);
}

}  // namespace cria::tokenizer
