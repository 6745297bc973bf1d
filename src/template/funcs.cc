#include "template/funcs.h"

#include <cmath>
#include <string>

#include "template/format.h"
#include "template/funcs_impl.h"
#include "template/text_util.h"

namespace cria::tmpl {
namespace {

using Args = std::vector<Value>;

Error bad(const std::string& what) {
  return make_error(Errc::kInvalidArgument, what);
}

bool is_number(const Json& v) {
  return v.is_number();
}

// Go compares basic kinds; numbers compare by value across int and float here.
Result<int> compare(const Json& a, const Json& b, bool ordered) {
  if (is_number(a) && is_number(b)) {
    if (a.is_number_float() || b.is_number_float()) {
      double x = a.get<double>(), y = b.get<double>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_number_unsigned() && b.is_number_unsigned()) {
      auto x = a.get<unsigned long long>(), y = b.get<unsigned long long>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    if (a.is_number_unsigned() || b.is_number_unsigned()) {
      // One side may exceed int64; compare as long double.
      long double x = a.get<long double>(), y = b.get<long double>();
      return x < y ? -1 : x > y ? 1 : 0;
    }
    auto x = a.get<long long>(), y = b.get<long long>();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a.is_string() && b.is_string()) {
    int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : c > 0 ? 1 : 0;
  }
  if (!ordered) {
    if (a.is_null() || b.is_null()) return a.is_null() && b.is_null() ? 0 : 1;
    if (a.is_boolean() && b.is_boolean()) return a == b ? 0 : 1;
    // Arrays and objects equal only their own kind (Go refuses to compare them at all).
    if (a.is_structured() || b.is_structured()) return a == b ? 0 : 1;
    return bad("incompatible types for comparison");
  }
  if (a.type() != b.type() && !(is_number(a) && is_number(b)))
    return bad("incompatible types for comparison");
  return bad("invalid type for comparison");
}

Result<Value> fn_not(const Args& a, const FuncEnv&) {
  return own(!truth(*a[0]));
}

Result<Value> fn_eq(const Args& a, const FuncEnv&) {
  for (size_t i = 1; i < a.size(); ++i) {
    CRIA_ASSIGN_OR_RETURN(int c, compare(*a[0], *a[i], false));
    if (c == 0) return own(true);
  }
  return own(false);
}
Result<Value> fn_ne(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(int c, compare(*a[0], *a[1], false));
  return own(c != 0);
}
Result<Value> fn_lt(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(int c, compare(*a[0], *a[1], true));
  return own(c < 0);
}
Result<Value> fn_le(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(int c, compare(*a[0], *a[1], true));
  return own(c <= 0);
}
Result<Value> fn_gt(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(int c, compare(*a[0], *a[1], true));
  return own(c > 0);
}
Result<Value> fn_ge(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(int c, compare(*a[0], *a[1], true));
  return own(c >= 0);
}

Result<Value> fn_len(const Args& a, const FuncEnv&) {
  const Json& v = *a[0];
  if (v.is_string()) return own(Json(v.get_ref<const std::string&>().size()));
  if (v.is_array() || v.is_object()) return own(Json(v.size()));
  return bad(std::string("len of ") + (v.is_null() ? "nil" : "type " + std::string(v.type_name())));
}

// An integer index from an int or an integral float.
Result<long long> to_index(const Json& v) {
  if (v.is_number_integer()) return v.get<long long>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::floor(d) == d && std::fabs(d) < 9e18) return static_cast<long long>(d);
  }
  return bad(std::string("cannot index with a ") + v.type_name());
}

Result<Value> fn_index(const Args& a, const FuncEnv&) {
  Value v = a[0];
  for (size_t i = 1; i < a.size(); ++i) {
    const Json& item = *v;
    const Json& key = *a[i];
    if (item.is_object()) {
      if (!key.is_string()) return bad("object keys are strings, not " + go_print(key));
      auto it = item.find(key.get_ref<const std::string&>());
      if (it == item.end()) return null_value();
      v = child(v, *it);
    } else if (item.is_array() || item.is_string()) {
      CRIA_ASSIGN_OR_RETURN(long long k, to_index(key));
      size_t n = item.is_array() ? item.size() : item.get_ref<const std::string&>().size();
      if (k < 0 || static_cast<size_t>(k) >= n)
        return bad("index out of range: " + std::to_string(k));
      if (item.is_array()) {
        v = child(v, item[static_cast<size_t>(k)]);
      } else {
        v = own(Json(static_cast<unsigned char>(item.get_ref<const std::string&>()[k])));
      }
    } else if (item.is_null()) {
      return bad("index of untyped nil");
    } else {
      return bad(std::string("can't index item of type ") + item.type_name());
    }
  }
  return v;
}

Result<Value> fn_slice(const Args& a, const FuncEnv&) {
  const Json& item = *a[0];
  if (!item.is_array() && !item.is_string())
    return bad(std::string("can't slice item of type ") + item.type_name());
  if (item.is_string() && a.size() > 3) return bad("cannot 3-index slice a string");
  size_t n = item.is_array() ? item.size() : item.get_ref<const std::string&>().size();
  long long idx[2] = {0, static_cast<long long>(n)};
  for (size_t i = 1; i < a.size() && i < 3; ++i) {
    CRIA_ASSIGN_OR_RETURN(idx[i - 1], to_index(*a[i]));
  }
  if (a.size() > 3) {
    CRIA_ASSIGN_OR_RETURN(long long cap, to_index(*a[3]));
    if (cap < idx[1] || cap > static_cast<long long>(n))
      return bad("index out of range: " + std::to_string(cap));
  }
  if (idx[0] < 0 || idx[0] > idx[1] || idx[1] > static_cast<long long>(n))
    return bad("invalid slice index: " + std::to_string(idx[0]) + " > " + std::to_string(idx[1]) +
               " or out of range");
  if (item.is_string())
    return own(Json(item.get_ref<const std::string&>().substr(idx[0], idx[1] - idx[0])));
  Json out = Json::array();
  for (long long i = idx[0]; i < idx[1]; ++i) out.push_back(item[static_cast<size_t>(i)]);
  return own(std::move(out));
}

Result<Value> fn_json(const Args& a, const FuncEnv&) {
  std::string s;
  append_go_json(*a[0], &s);
  return own(Json(std::move(s)));
}

Result<Value> fn_pyjson(const Args& a, const FuncEnv&) {
  std::string s;
  append_py_json(*a[0], -1, &s);
  return own(Json(std::move(s)));
}

Result<Value> fn_pyjson_indent(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(long long indent, to_index(*a[0]));
  if (indent < 0 || indent > 32) return bad("indent must be between 0 and 32");
  std::string s;
  append_py_json(*a[1], static_cast<int>(indent), &s);
  return own(Json(std::move(s)));
}

Result<std::string> str(const Json& v, const char* what) {
  if (!v.is_string()) return bad(std::string(what) + " must be a string, not " + go_print(v));
  return v.get_ref<const std::string&>();
}

Result<Value> fn_trim(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(std::string s, str(*a[0], "the argument"));
  return own(Json(std::string(trim_chars(s, kWhitespace, true, true))));
}

Result<Value> trim_side(const Args& a, bool left) {
  CRIA_ASSIGN_OR_RETURN(std::string cutset, str(*a[0], "the cutset"));
  CRIA_ASSIGN_OR_RETURN(std::string s, str(*a[1], "the string"));
  return own(Json(std::string(trim_chars(s, cutset, left, !left))));
}
Result<Value> fn_trim_left(const Args& a, const FuncEnv&) {
  return trim_side(a, true);
}
Result<Value> fn_trim_right(const Args& a, const FuncEnv&) {
  return trim_side(a, false);
}

Result<Value> fn_contains(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(std::string sub, str(*a[0], "the substring"));
  CRIA_ASSIGN_OR_RETURN(std::string s, str(*a[1], "the string"));
  return own(s.find(sub) != std::string::npos);
}
Result<Value> fn_has_prefix(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(std::string p, str(*a[0], "the prefix"));
  CRIA_ASSIGN_OR_RETURN(std::string s, str(*a[1], "the string"));
  return own(s.compare(0, p.size(), p) == 0 && s.size() >= p.size());
}
Result<Value> fn_has_suffix(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(std::string p, str(*a[0], "the suffix"));
  CRIA_ASSIGN_OR_RETURN(std::string s, str(*a[1], "the string"));
  return own(s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0);
}
Result<Value> fn_replace(const Args& a, const FuncEnv&) {
  CRIA_ASSIGN_OR_RETURN(std::string from, str(*a[0], "the old string"));
  CRIA_ASSIGN_OR_RETURN(std::string to, str(*a[1], "the new string"));
  CRIA_ASSIGN_OR_RETURN(std::string s, str(*a[2], "the string"));
  if (from.empty()) return own(Json(s));
  std::string out;
  size_t i = 0;
  for (size_t j; (j = s.find(from, i)) != std::string::npos; i = j + from.size())
    out.append(s, i, j - i).append(to);
  out.append(s, i);
  return own(Json(std::move(out)));
}

constexpr FuncSpec kFuncs[] = {
    {"and", nullptr, 1, -1},
    {"or", nullptr, 1, -1},
    {"not", fn_not, 1, 1},
    {"eq", fn_eq, 2, -1},
    {"ne", fn_ne, 2, 2},
    {"lt", fn_lt, 2, 2},
    {"le", fn_le, 2, 2},
    {"gt", fn_gt, 2, 2},
    {"ge", fn_ge, 2, 2},
    {"len", fn_len, 1, 1},
    {"index", fn_index, 1, -1},
    {"slice", fn_slice, 1, 4},
    {"printf", fn_printf, 1, -1},
    {"print", fn_print, 0, -1},
    {"println", fn_println, 0, -1},
    {"html", fn_html, 0, -1},
    {"urlquery", fn_urlquery, 0, -1},
    {"js", fn_js, 0, -1},
    {"json", fn_json, 1, 1},
    {"currentDate", fn_current_date, 0, 1},
    {"yesterdayDate", fn_yesterday_date, 0, 1},
    {"toTypeScriptType", fn_to_typescript_type, 1, 1},
    {"pyjson", fn_pyjson, 1, 1},
    {"pyjsonIndent", fn_pyjson_indent, 2, 2},
    {"trim", fn_trim, 1, 1},
    {"trimLeft", fn_trim_left, 2, 2},
    {"trimRight", fn_trim_right, 2, 2},
    {"contains", fn_contains, 2, 2},
    {"hasPrefix", fn_has_prefix, 2, 2},
    {"hasSuffix", fn_has_suffix, 2, 2},
    {"replace", fn_replace, 3, 3},
};

}  // namespace

const FuncSpec* find_function(std::string_view name) {
  for (const auto& f : kFuncs)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace cria::tmpl
