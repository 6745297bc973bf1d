#include "template/text_util.h"

namespace cria::tmpl {

void append_utf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

bool decode_utf8(std::string_view s, std::size_t i, char32_t* cp, std::size_t* len) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[i + k]); };
  unsigned char c = b(0);
  *len = 1;
  *cp = c;
  if (c < 0x80) return true;
  std::size_t n = c >= 0xF0 && c < 0xF8 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (c >= 0xF8) n = 0;
  if (n == 0 || i + n > s.size()) return false;
  char32_t v = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return false;
    v = (v << 6) | (b(k) & 0x3F);
  }
  if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
      (v >= 0xD800 && v < 0xE000))
    return false;
  *cp = v;
  *len = n;
  return true;
}

std::string snake_case(std::string_view name) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lower_or_digit = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (upper(c)) {
      bool after_lower = i > 0 && lower_or_digit(name[i - 1]);
      bool acronym_end = i > 0 && upper(name[i - 1]) && i + 1 < name.size() && name[i + 1] >= 'a' &&
                         name[i + 1] <= 'z';
      if (after_lower || acronym_end) out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c;
    }
  }
  return out;
}

std::string lower_case(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim_chars(std::string_view s, std::string_view cutset, bool left, bool right) {
  if (left) {
    std::size_t k = s.find_first_not_of(cutset);
    s = k == std::string_view::npos ? std::string_view() : s.substr(k);
  }
  if (right) {
    std::size_t k = s.find_last_not_of(cutset);
    s = k == std::string_view::npos ? std::string_view() : s.substr(0, k + 1);
  }
  return s;
}

}  // namespace cria::tmpl
