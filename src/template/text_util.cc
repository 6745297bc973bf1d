#include "template/text_util.h"

namespace cria::tmpl {

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
