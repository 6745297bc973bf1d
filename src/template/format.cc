#include "template/format.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "template/text_util.h"

namespace cria::tmpl {
namespace {

// The shortest decimal digits of f and its decimal exponent: f = 0.d1d2d3... * 10^(exp+1),
// i.e. d1.d2d3 * 10^exp.
void shortest(double f, std::string* digits, int* exp) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string s(buf, r.ptr);
  size_t e = s.find('e');
  *exp = std::stoi(s.substr(e + 1));
  digits->clear();
  for (size_t i = 0; i < e; ++i)
    if (s[i] >= '0' && s[i] <= '9') *digits += s[i];
}

// Digits laid out without an exponent.
std::string plain(const std::string& digits, int exp) {
  std::string out;
  if (exp < 0) {
    out = "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out = digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out = digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
  }
  return out;
}

// d.ddde+XX with at least `min_exp_digits` exponent digits.
std::string scientific(const std::string& digits, int exp, int min_exp_digits) {
  std::string out = digits.substr(0, 1);
  if (digits.size() > 1) out += "." + digits.substr(1);
  out += exp < 0 ? "e-" : "e+";
  std::string e = std::to_string(exp < 0 ? -exp : exp);
  while (static_cast<int>(e.size()) < min_exp_digits) e = "0" + e;
  return out + e;
}

std::string special_float(double f, bool python) {
  if (std::isnan(f)) return python ? "NaN" : "NaN";
  if (f > 0) return python ? "Infinity" : "+Inf";
  return python ? "-Infinity" : "-Inf";
}

std::string go_json_float(double f) {
  if (!std::isfinite(f)) return "null";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  std::string digits;
  int exp = 0;
  shortest(std::fabs(f), &digits, &exp);
  std::string sign = f < 0 ? "-" : "";
  double a = std::fabs(f);
  if (a < 1e-6 || a >= 1e21) return sign + scientific(digits, exp, 1);
  return sign + plain(digits, exp);
}

std::string py_float(double f) {
  if (!std::isfinite(f)) return special_float(f, true);
  if (f == 0) return std::signbit(f) ? "-0.0" : "0.0";
  std::string digits;
  int exp = 0;
  shortest(std::fabs(f), &digits, &exp);
  std::string sign = f < 0 ? "-" : "";
  if (exp < -4 || exp >= 16) return sign + scientific(digits, exp, 2);
  std::string p = plain(digits, exp);
  if (p.find('.') == std::string::npos) p += ".0";
  return sign + p;
}

void append_hex4(unsigned v, std::string* out) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\u%04x", v);
  *out += buf;
}

void go_json_string(const std::string& s, std::string* out) {
  *out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          *out += "\\\"";
          break;
        case '\\':
          *out += "\\\\";
          break;
        case '\n':
          *out += "\\n";
          break;
        case '\r':
          *out += "\\r";
          break;
        case '\t':
          *out += "\\t";
          break;
        case '\b':
          *out += "\\b";
          break;
        case '\f':
          *out += "\\f";
          break;
        case '<':
        case '>':
        case '&':
          append_hex4(c, out);
          break;
        default:
          if (c < 0x20) {
            append_hex4(c, out);
          } else {
            *out += static_cast<char>(c);
          }
      }
      ++i;
      continue;
    }
    char32_t cp = 0;
    size_t len = 0;
    if (!decode_utf8(s, i, &cp, &len)) {
      *out += "\\ufffd";
      i += 1;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      append_hex4(cp, out);
    } else {
      out->append(s, i, len);
    }
    i += len;
  }
  *out += '"';
}

void py_json_string(const std::string& s, std::string* out) {
  *out += '"';
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      case '\b':
        *out += "\\b";
        break;
      case '\f':
        *out += "\\f";
        break;
      default:
        if (c < 0x20) {
          append_hex4(c, out);
        } else {
          *out += ch;
        }
    }
  }
  *out += '"';
}

void append_py(const Json& v, int indent, int level, std::string* out) {
  auto newline = [&](int lvl) {
    *out += '\n';
    out->append(static_cast<size_t>(indent) * lvl, ' ');
  };
  switch (v.type()) {
    case Json::value_t::array: {
      if (v.empty()) {
        *out += "[]";
        return;
      }
      *out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) *out += indent >= 0 ? "," : ", ";
        first = false;
        if (indent >= 0) newline(level + 1);
        append_py(e, indent, level + 1, out);
      }
      if (indent >= 0) newline(level);
      *out += ']';
      return;
    }
    case Json::value_t::object: {
      if (v.empty()) {
        *out += "{}";
        return;
      }
      *out += '{';
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) *out += indent >= 0 ? "," : ", ";
        first = false;
        if (indent >= 0) newline(level + 1);
        py_json_string(k, out);
        *out += ": ";
        append_py(e, indent, level + 1, out);
      }
      if (indent >= 0) newline(level);
      *out += '}';
      return;
    }
    case Json::value_t::string:
      py_json_string(v.get_ref<const std::string&>(), out);
      return;
    case Json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      *out += std::to_string(v.get<long long>());
      return;
    case Json::value_t::number_unsigned:
      *out += std::to_string(v.get<unsigned long long>());
      return;
    case Json::value_t::number_float:
      *out += py_float(v.get<double>());
      return;
    default:
      *out += "null";
      return;
  }
}

}  // namespace

std::string go_float(double f) {
  if (!std::isfinite(f)) return special_float(f, false);
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  std::string digits;
  int exp = 0;
  shortest(std::fabs(f), &digits, &exp);
  std::string sign = f < 0 ? "-" : "";
  if (exp < -4 || exp >= 6) return sign + scientific(digits, exp, 2);
  return sign + plain(digits, exp);
}

void append_go_json(const Json& v, std::string* out) {
  switch (v.type()) {
    case Json::value_t::array: {
      *out += '[';
      bool first = true;
      for (const auto& e : v) {
        if (!first) *out += ',';
        first = false;
        append_go_json(e, out);
      }
      *out += ']';
      return;
    }
    case Json::value_t::object: {
      *out += '{';
      bool first = true;
      for (const auto& [k, e] : v.items()) {
        if (!first) *out += ',';
        first = false;
        go_json_string(k, out);
        *out += ':';
        append_go_json(e, out);
      }
      *out += '}';
      return;
    }
    case Json::value_t::string:
      go_json_string(v.get_ref<const std::string&>(), out);
      return;
    case Json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      *out += std::to_string(v.get<long long>());
      return;
    case Json::value_t::number_unsigned:
      *out += std::to_string(v.get<unsigned long long>());
      return;
    case Json::value_t::number_float:
      *out += go_json_float(v.get<double>());
      return;
    default:
      *out += "null";
      return;
  }
}

void append_py_json(const Json& v, int indent, std::string* out) {
  append_py(v, indent, 0, out);
}

void append_go_print(const Json& v, std::string* out) {
  switch (v.type()) {
    case Json::value_t::string:
      *out += v.get_ref<const std::string&>();
      return;
    case Json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      *out += std::to_string(v.get<long long>());
      return;
    case Json::value_t::number_unsigned:
      *out += std::to_string(v.get<unsigned long long>());
      return;
    case Json::value_t::number_float:
      *out += go_float(v.get<double>());
      return;
    case Json::value_t::array:
    case Json::value_t::object:
      append_go_json(v, out);
      return;
    default:
      *out += "<no value>";
      return;
  }
}

std::string go_print(const Json& v) {
  std::string out;
  append_go_print(v, &out);
  return out;
}

}  // namespace cria::tmpl
