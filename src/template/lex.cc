#include "template/lex.h"

#include <algorithm>

#include "template/text_util.h"

namespace cria::tmpl {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ident_char(char c) {
  return is_ident_start(c) || is_digit(c);
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src.size(); ++i)
      if (src[i] == '\n') line_starts_.push_back(i + 1);
  }

  Result<std::vector<Item>> run();

 private:
  Pos pos_at(size_t off) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), off);
    int line = static_cast<int>(it - line_starts_.begin());
    return Pos{line, static_cast<int>(off - line_starts_[line - 1]) + 1};
  }
  Error error_at(size_t off, const std::string& what) const {
    return make_error(Errc::kInvalidArgument, pos_prefix(pos_at(off)) + what);
  }
  void add_text(std::string_view text);
  Result<size_t> lex_comment(size_t p, bool* trim_right);
  Result<size_t> lex_action(size_t p, Action* action, bool* trim_right);
  Result<size_t> lex_escape(size_t p, std::string* out);
  Result<size_t> lex_quoted(size_t p, Token* tok);
  Result<size_t> lex_number(size_t p, Token* tok);

  std::string_view src_;
  std::vector<size_t> line_starts_;
  std::vector<Item> items_;
  bool trim_next_ = false;
};

void Lexer::add_text(std::string_view text) {
  if (trim_next_) {
    size_t k = 0;
    while (k < text.size() && is_space(text[k])) ++k;
    text.remove_prefix(k);
    trim_next_ = false;
  }
  if (text.empty()) return;
  if (!items_.empty() && items_.back().is_text) {
    items_.back().text += text;
  } else {
    Item item;
    item.text = std::string(text);
    items_.push_back(std::move(item));
  }
}

Result<std::vector<Item>> Lexer::run() {
  size_t i = 0;
  while (i <= src_.size()) {
    size_t j = src_.find("{{", i);
    if (j == std::string_view::npos) {
      add_text(src_.substr(i));
      break;
    }
    std::string_view text = src_.substr(i, j - i);
    size_t k = j + 2;
    bool trim_left = k + 1 < src_.size() && src_[k] == '-' && is_space(src_[k + 1]);
    if (trim_left) {
      while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
      k += 1;
    }
    add_text(text);
    size_t after = k;
    while (trim_left && after < src_.size() && is_space(src_[after])) ++after;
    bool trim_right = false;
    if (src_.substr(after, 2) == "/*") {
      CRIA_ASSIGN_OR_RETURN(i, lex_comment(after, &trim_right));
    } else {
      Item item;
      item.is_text = false;
      item.action.pos = pos_at(j);
      CRIA_ASSIGN_OR_RETURN(i, lex_action(k, &item.action, &trim_right));
      items_.push_back(std::move(item));
    }
    trim_next_ = trim_right;
  }
  return std::move(items_);
}

Result<size_t> Lexer::lex_comment(size_t p, bool* trim_right) {
  size_t end = src_.find("*/", p + 2);
  if (end == std::string_view::npos) return error_at(p, "unclosed comment");
  size_t q = end + 2;
  if (src_.substr(q, 2) == "}}") return q + 2;
  size_t r = q;
  while (r < src_.size() && is_space(src_[r])) ++r;
  if (r > q && src_.substr(r, 3) == "-}}") {
    *trim_right = true;
    return r + 3;
  }
  return error_at(q, "comment ends before closing delimiter");
}

Result<size_t> Lexer::lex_action(size_t p, Action* action, bool* trim_right) {
  bool space = true;
  while (true) {
    if (p >= src_.size()) return error_at(p, "unclosed action");
    char c = src_[p];
    if (src_.substr(p, 2) == "}}") return p + 2;
    if (is_space(c)) {
      while (p < src_.size() && is_space(src_[p])) ++p;
      if (src_.substr(p, 3) == "-}}") {
        *trim_right = true;
        return p + 3;
      }
      space = true;
      continue;
    }
    Token tok;
    tok.pos = pos_at(p);
    tok.space_before = space;
    space = false;
    char next = p + 1 < src_.size() ? src_[p + 1] : '\0';
    if (c == '"' || c == '`' || c == '\'') {
      CRIA_ASSIGN_OR_RETURN(p, lex_quoted(p, &tok));
    } else if (is_digit(c) || ((c == '-' || c == '+') && (is_digit(next) || next == '.')) ||
               (c == '.' && is_digit(next))) {
      CRIA_ASSIGN_OR_RETURN(p, lex_number(p, &tok));
    } else if (c == '.') {
      size_t q = p + 1;
      while (q < src_.size() && is_ident_char(src_[q])) ++q;
      tok.kind = q == p + 1 ? Tok::kDot : Tok::kField;
      tok.text = std::string(src_.substr(p + 1, q - p - 1));
      p = q;
    } else if (c == '$') {
      size_t q = p + 1;
      while (q < src_.size() && is_ident_char(src_[q])) ++q;
      tok.kind = Tok::kVariable;
      tok.text = std::string(src_.substr(p, q - p));
      p = q;
    } else if (is_ident_start(c)) {
      size_t q = p;
      while (q < src_.size() && is_ident_char(src_[q])) ++q;
      tok.kind = Tok::kIdent;
      tok.text = std::string(src_.substr(p, q - p));
      p = q;
    } else if (c == ':' && next == '=') {
      tok.kind = Tok::kDeclare;
      p += 2;
    } else if (c == '=') {
      tok.kind = Tok::kAssign;
      p += 1;
    } else if (c == '|' || c == '(' || c == ')' || c == ',') {
      tok.kind = c == '|'   ? Tok::kPipe
                 : c == '(' ? Tok::kLParen
                 : c == ')' ? Tok::kRParen
                            : Tok::kComma;
      p += 1;
    } else {
      return error_at(p, "unexpected character '" + std::string(1, c) + "' in action");
    }
    action->tokens.push_back(std::move(tok));
  }
}

Result<size_t> Lexer::lex_escape(size_t p, std::string* out) {
  // p points after the backslash.
  if (p >= src_.size()) return error_at(p, "unterminated escape sequence");
  char c = src_[p];
  switch (c) {
    case 'a':
      *out += '\a';
      return p + 1;
    case 'b':
      *out += '\b';
      return p + 1;
    case 'f':
      *out += '\f';
      return p + 1;
    case 'n':
      *out += '\n';
      return p + 1;
    case 'r':
      *out += '\r';
      return p + 1;
    case 't':
      *out += '\t';
      return p + 1;
    case 'v':
      *out += '\v';
      return p + 1;
    case '\\':
      *out += '\\';
      return p + 1;
    case '\'':
      *out += '\'';
      return p + 1;
    case '"':
      *out += '"';
      return p + 1;
    default:
      break;
  }
  int digits = c == 'x' ? 2 : c == 'u' ? 4 : c == 'U' ? 8 : (c >= '0' && c <= '7') ? 3 : 0;
  if (digits == 0) return error_at(p, "unknown escape sequence \\" + std::string(1, c));
  int base = c >= '0' && c <= '7' ? 8 : 16;
  size_t q = base == 8 ? p : p + 1;
  unsigned long v = 0;
  for (int k = 0; k < digits; ++k, ++q) {
    int d = q < src_.size() ? hex_value(src_[q]) : -1;
    if (d < 0 || d >= base) return error_at(q, "invalid escape sequence");
    v = v * base + d;
  }
  if (c == 'x' || base == 8) {
    if (v > 255) return error_at(p, "octal escape value > 255");
    *out += static_cast<char>(v);
  } else {
    if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return error_at(p, "invalid Unicode escape");
    append_utf8(static_cast<char32_t>(v), out);
  }
  return q;
}

Result<size_t> Lexer::lex_quoted(size_t p, Token* tok) {
  char quote = src_[p];
  size_t q = p + 1;
  std::string value;
  if (quote == '`') {
    size_t end = src_.find('`', q);
    if (end == std::string_view::npos) return error_at(p, "unterminated raw quoted string");
    tok->kind = Tok::kString;
    tok->text = std::string(src_.substr(q, end - q));
    return end + 1;
  }
  while (true) {
    if (q >= src_.size() || src_[q] == '\n')
      return error_at(p, quote == '"' ? "unterminated quoted string" : "unterminated character");
    char c = src_[q];
    if (c == quote) break;
    if (c == '\\') {
      CRIA_ASSIGN_OR_RETURN(q, lex_escape(q + 1, &value));
    } else {
      value += c;
      ++q;
    }
  }
  if (quote == '"') {
    tok->kind = Tok::kString;
    tok->text = std::move(value);
    return q + 1;
  }
  size_t len = 0;
  char32_t cp = 0;
  if (value.empty() || !decode_utf8(value, 0, &cp, &len) || len != value.size())
    return error_at(p, "malformed character constant");
  tok->kind = Tok::kChar;
  tok->text = std::move(value);
  tok->char_value = static_cast<long long>(cp);
  return q + 1;
}

Result<size_t> Lexer::lex_number(size_t p, Token* tok) {
  size_t q = p;
  if (src_[q] == '+' || src_[q] == '-') ++q;
  auto more = [&](auto pred) {
    while (q < src_.size() && (pred(src_[q]) || src_[q] == '_')) ++q;
  };
  if (src_.substr(q, 2) == "0x" || src_.substr(q, 2) == "0X") {
    q += 2;
    more([](char c) { return hex_value(c) >= 0; });
  } else {
    more(is_digit);
    if (q < src_.size() && src_[q] == '.') {
      ++q;
      more(is_digit);
    }
    if (q < src_.size() && (src_[q] == 'e' || src_[q] == 'E')) {
      ++q;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      more(is_digit);
    }
  }
  if (q < src_.size() && (is_ident_char(src_[q]) || src_[q] == '.'))
    return error_at(p, "bad number syntax: " + std::string(src_.substr(p, q - p + 1)));
  tok->kind = Tok::kNumber;
  tok->text = std::string(src_.substr(p, q - p));
  return q;
}

}  // namespace

std::string pos_prefix(Pos pos) {
  return "template: " + std::to_string(pos.line) + ":" + std::to_string(pos.col) + ": ";
}

Result<std::vector<Item>> lex(std::string_view src) {
  return Lexer(src).run();
}

}  // namespace cria::tmpl
