// printf/print/println, the escapers, dates and toTypeScriptType.
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "template/format.h"
#include "template/funcs_impl.h"
#include "template/text_util.h"

namespace cria::tmpl {
namespace {

using Args = std::vector<Value>;

const char* go_type(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "int";
    case Json::value_t::number_float:
      return "float64";
    case Json::value_t::array:
      return "[]interface {}";
    case Json::value_t::object:
      return "map[string]interface {}";
    default:
      return "<nil>";
  }
}

std::string bad_verb(char verb, const Json& v) {
  if (v.is_null()) return std::string("%!") + verb + "(<nil>)";
  return std::string("%!") + verb + "(" + go_type(v) + "=" + go_print(v) + ")";
}

struct Spec {
  bool minus = false, plus = false, zero = false, space = false, sharp = false;
  int width = -1, precision = -1;
};

std::string pad(std::string s, const Spec& sp, bool numeric) {
  size_t runes = 0;
  for (char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++runes;
  if (sp.width < 0 || runes >= static_cast<size_t>(sp.width)) return s;
  size_t n = static_cast<size_t>(sp.width) - runes;
  if (sp.minus) return s + std::string(n, ' ');
  if (sp.zero && numeric) {
    size_t sign = !s.empty() && (s[0] == '-' || s[0] == '+') ? 1 : 0;
    return s.substr(0, sign) + std::string(n, '0') + s.substr(sign);
  }
  return std::string(n, ' ') + s;
}

std::string format_int(const Json& v, char verb, const Spec& sp) {
  bool neg = v.is_number_integer() && v.get<long long>() < 0;
  unsigned long long mag = v.is_number_unsigned() ? v.get<unsigned long long>()
                           : neg ? 0ull - static_cast<unsigned long long>(v.get<long long>())
                                 : static_cast<unsigned long long>(v.get<long long>());
  char buf[80];
  const char* f = verb == 'x' ? "%llx" : verb == 'X' ? "%llX" : verb == 'o' ? "%llo" : "%llu";
  std::snprintf(buf, sizeof buf, f, mag);
  std::string s = buf;
  if (sp.precision >= 0 && s.size() < static_cast<size_t>(sp.precision))
    s = std::string(sp.precision - s.size(), '0') + s;
  if (neg) {
    s = "-" + s;
  } else if (sp.plus) {
    s = "+" + s;
  } else if (sp.space) {
    s = " " + s;
  }
  return pad(s, sp, sp.precision < 0);
}

std::string format_float(double d, char verb, const Spec& sp) {
  std::string s;
  if (verb == 'v' || (verb == 'g' && sp.precision < 0)) {
    s = go_float(d);
  } else {
    char f[16];
    std::snprintf(f, sizeof f, "%%.%d%c", sp.precision < 0 ? 6 : sp.precision, verb);
    char buf[512];
    std::snprintf(buf, sizeof buf, f, d);
    s = buf;
  }
  if (sp.plus && d >= 0) s = "+" + s;
  return pad(s, sp, true);
}

std::string format_one(const Json& v, char verb, const Spec& sp) {
  switch (verb) {
    case 'v':
      if (v.is_number_float()) return format_float(v.get<double>(), 'v', sp);
      if (v.is_number()) return format_int(v, 'd', sp);
      return pad(go_print(v), sp, false);
    case 's':
    case 'q':
      if (!v.is_string()) {
        if (verb == 's' && v.is_structured()) return pad(go_print(v), sp, false);
        return bad_verb(verb, v);
      } else {
        std::string s = v.get<std::string>();
        if (sp.precision >= 0) {
          size_t i = 0, runes = 0;
          while (i < s.size() && runes < static_cast<size_t>(sp.precision)) {
            char32_t cp;
            size_t len;
            decode_utf8(s, i, &cp, &len);
            i += len;
            ++runes;
          }
          s.resize(i);
        }
        return pad(verb == 'q' ? go_quote(s) : s, sp, false);
      }
    case 'd':
    case 'x':
    case 'X':
    case 'o':
      if (v.is_number_integer()) return format_int(v, verb, sp);
      if ((verb == 'x' || verb == 'X') && v.is_string()) {
        std::string out;
        char buf[4];
        for (unsigned char c : v.get_ref<const std::string&>()) {
          std::snprintf(buf, sizeof buf, verb == 'x' ? "%02x" : "%02X", c);
          out += buf;
        }
        return pad(out, sp, false);
      }
      return bad_verb(verb, v);
    case 'c':
      if (!v.is_number_integer()) return bad_verb(verb, v);
      {
        std::string out;
        append_utf8(static_cast<char32_t>(v.get<long long>()), &out);
        return pad(out, sp, false);
      }
    case 'f':
    case 'F':
    case 'e':
    case 'E':
    case 'g':
    case 'G':
      if (!v.is_number_float()) return bad_verb(verb, v);
      return format_float(v.get<double>(), verb == 'F' ? 'f' : verb, sp);
    case 't':
      if (!v.is_boolean()) return bad_verb(verb, v);
      return pad(v.get<bool>() ? "true" : "false", sp, false);
    default:
      return bad_verb(verb, v);
  }
}

// Parses flags, width and precision at fmt[i]; returns the index of the verb.
size_t parse_spec(const std::string& fmt, size_t i, Spec* sp) {
  for (; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '-')
      sp->minus = true;
    else if (c == '+')
      sp->plus = true;
    else if (c == '0')
      sp->zero = true;
    else if (c == ' ')
      sp->space = true;
    else if (c == '#')
      sp->sharp = true;
    else
      break;
  }
  auto number = [&](int* out) {
    int n = 0;
    bool any = false;
    while (i < fmt.size() && fmt[i] >= '0' && fmt[i] <= '9' && n < 100000) {
      n = n * 10 + (fmt[i++] - '0');
      any = true;
    }
    if (any) *out = n;
  };
  number(&sp->width);
  if (i < fmt.size() && fmt[i] == '.') {
    ++i;
    sp->precision = 0;
    number(&sp->precision);
  }
  return i;
}

std::string escape_html(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '\0':
        out += "\xEF\xBF\xBD";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string escape_js(const std::string& s) {
  std::string out;
  char buf[8];
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '<':
        out += "\\u003C";
        break;
      case '>':
        out += "\\u003E";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '=':
        out += "\\u003D";
        break;
      default:
        if (c < 0x20) {
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += ch;
        }
    }
  }
  return out;
}

std::string escape_query(const std::string& s) {
  std::string out;
  char buf[4];
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '-' || c == '_' || c == '.' || c == '~';
    if (keep) {
      out += ch;
    } else if (c == ' ') {
      out += '+';
    } else {
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Go's evalArgs: a single string as is, otherwise fmt.Sprint.
std::string eval_args(const Args& a) {
  if (a.size() == 1 && a[0]->is_string()) return a[0]->get<std::string>();
  return go_sprint(a);
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

Date yesterday(Date d) {
  if (--d.day >= 1) return d;
  if (--d.month < 1) {
    d.month = 12;
    --d.year;
  }
  d.day = days_in_month(d.year, d.month);
  return d;
}

int weekday(const Date& d) {  // 0 = Sunday (Sakamoto's method)
  static constexpr int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
  int y = d.year - (d.month < 3 ? 1 : 0);
  return (y + y / 4 - y / 100 + y / 400 + t[d.month - 1] + d.day) % 7;
}

Result<Value> date_value(const Args& a, const Date& d) {
  std::string layout = "2006-01-02";
  if (!a.empty()) {
    if (!a[0]->is_string())
      return make_error(Errc::kInvalidArgument, "the date layout must be a string");
    layout = a[0]->get<std::string>();
  }
  return own(Json(format_date(d, layout)));
}

std::string ts_type(const std::string& t) {
  if (t == "string") return "string";
  if (t == "number" || t == "integer") return "number";
  if (t == "boolean") return "boolean";
  if (t == "array") return "any[]";
  if (t == "object") return "Record<string, any>";
  if (t == "null") return "null";
  return "any";
}

std::string typescript_type(const Json& p, int depth) {
  if (!p.is_object() || depth > 32) return "any";
  auto any_of = p.find("anyOf");
  if (any_of != p.end() && any_of->is_array() && !any_of->empty()) {
    std::string out;
    for (const auto& e : *any_of) out += (out.empty() ? "" : " | ") + typescript_type(e, depth + 1);
    return out;
  }
  auto type = p.find("type");
  if (type == p.end()) return "any";
  if (type->is_string()) return ts_type(type->get<std::string>());
  if (!type->is_array() || type->empty()) return "any";
  std::string out;
  for (const auto& t : *type)
    out += (out.empty() ? "" : " | ") + (t.is_string() ? ts_type(t.get<std::string>()) : "any");
  return out;
}

}  // namespace

std::string go_sprint(const Args& a) {
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0 && !a[i]->is_string() && !a[i - 1]->is_string()) out += ' ';
    append_go_print(*a[i], &out);
  }
  return out;
}

std::string format_date(const Date& d, const std::string& layout) {
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  static constexpr const char* kDays[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                          "Thursday", "Friday", "Saturday"};
  auto two = [](int v) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d", v % 100);
    return std::string(buf);
  };
  std::string out;
  for (size_t i = 0; i < layout.size();) {
    auto starts = [&](const char* s) { return layout.compare(i, std::strlen(s), s) == 0; };
    const std::string month = kMonths[d.month - 1];
    const std::string day = kDays[weekday(d)];
    if (starts("January")) {
      out += month;
      i += 7;
    } else if (starts("Jan")) {
      out += month.substr(0, 3);
      i += 3;
    } else if (starts("Monday")) {
      out += day;
      i += 6;
    } else if (starts("Mon")) {
      out += day.substr(0, 3);
      i += 3;
    } else if (starts("2006")) {
      out += std::to_string(d.year);
      i += 4;
    } else if (starts("01")) {
      out += two(d.month);
      i += 2;
    } else if (starts("02")) {
      out += two(d.day);
      i += 2;
    } else if (starts("06")) {
      out += two(d.year);
      i += 2;
    } else if (starts("_2")) {
      out += (d.day < 10 ? " " : "") + std::to_string(d.day);
      i += 2;
    } else if (starts("1")) {
      out += std::to_string(d.month);
      i += 1;
    } else if (starts("2")) {
      out += std::to_string(d.day);
      i += 1;
    } else {
      out += layout[i];
      i += 1;
    }
  }
  return out;
}

Result<Value> fn_printf(const Args& a, const FuncEnv&) {
  if (!a[0]->is_string()) return make_error(Errc::kInvalidArgument, "the format must be a string");
  const std::string& fmt = a[0]->get_ref<const std::string&>();
  std::string out;
  size_t next = 1;
  for (size_t i = 0; i < fmt.size();) {
    if (fmt[i] != '%') {
      out += fmt[i++];
      continue;
    }
    Spec sp;
    i = parse_spec(fmt, i + 1, &sp);
    if (i >= fmt.size()) {
      out += "%!(NOVERB)";
      break;
    }
    char verb = fmt[i++];
    if (verb == '%') {
      out += '%';
      continue;
    }
    if (next >= a.size()) {
      out += std::string("%!") + verb + "(MISSING)";
      continue;
    }
    out += format_one(*a[next++], verb, sp);
  }
  if (next < a.size()) {
    out += "%!(EXTRA ";
    for (size_t k = next; k < a.size(); ++k) {
      if (k > next) out += ", ";
      out += std::string(go_type(*a[k])) + "=" + go_print(*a[k]);
    }
    out += ")";
  }
  return own(Json(std::move(out)));
}

Result<Value> fn_print(const Args& a, const FuncEnv&) {
  return own(Json(go_sprint(a)));
}

Result<Value> fn_println(const Args& a, const FuncEnv&) {
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0) out += ' ';
    append_go_print(*a[i], &out);
  }
  return own(Json(out + "\n"));
}

Result<Value> fn_html(const Args& a, const FuncEnv&) {
  return own(Json(escape_html(eval_args(a))));
}
Result<Value> fn_js(const Args& a, const FuncEnv&) {
  return own(Json(escape_js(eval_args(a))));
}
Result<Value> fn_urlquery(const Args& a, const FuncEnv&) {
  return own(Json(escape_query(eval_args(a))));
}

Result<Value> fn_current_date(const Args& a, const FuncEnv& env) {
  return date_value(a, env.today);
}
Result<Value> fn_yesterday_date(const Args& a, const FuncEnv& env) {
  return date_value(a, yesterday(env.today));
}

Result<Value> fn_to_typescript_type(const Args& a, const FuncEnv&) {
  return own(Json(typescript_type(*a[0], 0)));
}

}  // namespace cria::tmpl
