#include "store/params.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include <fmt/core.h>

namespace cria::store {

namespace {

const std::map<std::string, ParamType, std::less<>>& table() {
  static const std::map<std::string, ParamType, std::less<>> t = {
      // api.Runner: fixed when the model is loaded.
      {"num_ctx", ParamType::kInt},
      {"num_batch", ParamType::kInt},
      {"num_gpu", ParamType::kInt},
      {"main_gpu", ParamType::kInt},
      {"use_mmap", ParamType::kBool},
      {"num_thread", ParamType::kInt},
      {"draft_num_predict", ParamType::kInt},
      // api.Options: per request.
      {"num_keep", ParamType::kInt},
      {"seed", ParamType::kInt},
      {"num_predict", ParamType::kInt},
      {"top_k", ParamType::kInt},
      {"top_p", ParamType::kFloat},
      {"min_p", ParamType::kFloat},
      {"typical_p", ParamType::kFloat},
      {"repeat_last_n", ParamType::kInt},
      {"temperature", ParamType::kFloat},
      {"repeat_penalty", ParamType::kFloat},
      {"presence_penalty", ParamType::kFloat},
      {"frequency_penalty", ParamType::kFloat},
      {"stop", ParamType::kStringList},
  };
  return t;
}

const char* type_name(ParamType t) {
  switch (t) {
    case ParamType::kInt:
      return "an integer";
    case ParamType::kFloat:
      return "a number";
    case ParamType::kBool:
      return "true or false";
    case ParamType::kStringList:
      return "a string";
  }
  return "a value";
}

Error bad_value(std::string_view name, std::string_view value, ParamType t) {
  return make_error(Errc::kInvalidArgument, fmt::format("invalid value \"{}\" for parameter "
                                                        "\"{}\": expected {}",
                                                        value, name, type_name(t)));
}

// Go's strconv.ParseBool.
std::optional<bool> parse_bool(std::string_view s) {
  for (auto t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (s == t) return true;
  }
  for (auto f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (s == f) return false;
  }
  return std::nullopt;
}

// A float32 value kept as the double its shortest decimal spells, so that
// 0.7 is stored and shown as 0.7 (as Go encodes a float32).
std::optional<double> parse_float32(std::string_view s) {
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  float f = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), f);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(f)) return std::nullopt;
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, f);
  double d = 0;
  std::from_chars(buf, r.ptr, d);
  return d;
}

}  // namespace

const ParamType* find_param(std::string_view name) {
  auto it = table().find(name);
  return it == table().end() ? nullptr : &it->second;
}

bool is_deprecated_param(std::string_view name) {
  static constexpr std::string_view kDeprecated[] = {
      "penalize_newline", "low_vram", "f16_kv",       "logits_all",  "vocab_only",
      "use_mlock",        "mirostat", "mirostat_tau", "mirostat_eta"};
  return std::find(std::begin(kDeprecated), std::end(kDeprecated), name) != std::end(kDeprecated);
}

std::vector<std::string> param_names() {
  std::vector<std::string> out;
  for (const auto& [k, v] : table()) out.push_back(k);
  return out;
}

Result<Json> parse_param(std::string_view name, std::string_view value) {
  const ParamType* t = find_param(name);
  if (!t) {
    return make_error(Errc::kInvalidArgument, fmt::format("unknown parameter \"{}\"", name));
  }
  switch (*t) {
    case ParamType::kInt: {
      std::string_view s = value;
      if (!s.empty() && s[0] == '+') s.remove_prefix(1);
      int64_t v = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      if (ec != std::errc() || p != s.data() + s.size() || s.empty()) {
        return bad_value(name, value, *t);
      }
      return Json(v);
    }
    case ParamType::kFloat: {
      auto v = parse_float32(value);
      if (!v) return bad_value(name, value, *t);
      return Json(*v);
    }
    case ParamType::kBool: {
      auto v = parse_bool(value);
      if (!v) return bad_value(name, value, *t);
      return Json(*v);
    }
    case ParamType::kStringList:
      return Json(std::string(value));
  }
  return bad_value(name, value, *t);
}

Result<Json> normalize_params(const Json& params) {
  if (params.is_null()) return Json::object();
  if (!params.is_object()) {
    return make_error(Errc::kInvalidArgument, "\"parameters\" must be a JSON object");
  }
  Json out = Json::object();
  for (auto it = params.begin(); it != params.end(); ++it) {
    const std::string& k = it.key();
    const Json& v = it.value();
    if (is_deprecated_param(k)) continue;
    const ParamType* t = find_param(k);
    if (!t) return make_error(Errc::kInvalidArgument, fmt::format("unknown parameter \"{}\"", k));
    if (v.is_string() && *t != ParamType::kStringList) {
      CRIA_ASSIGN_OR_RETURN(out[k], parse_param(k, v.get<std::string>()));
      continue;
    }
    bool ok = false;
    switch (*t) {
      case ParamType::kInt:
        ok = v.is_number_integer() ||
             (v.is_number_float() && std::trunc(v.get<double>()) == v.get<double>());
        if (ok) out[k] = static_cast<int64_t>(v.get<double>());
        if (v.is_number_integer()) out[k] = v;
        break;
      case ParamType::kFloat:
        ok = v.is_number();
        if (ok) out[k] = v;
        break;
      case ParamType::kBool:
        ok = v.is_boolean();
        if (ok) out[k] = v;
        break;
      case ParamType::kStringList:
        ok = v.is_string() || (v.is_array() && std::all_of(v.begin(), v.end(), [](const Json& e) {
                                 return e.is_string();
                               }));
        if (ok) out[k] = v.is_string() ? Json::array({v}) : v;
        break;
    }
    if (!ok) return bad_value(k, v.dump(), *t);
  }
  return out;
}

std::string param_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (std::trunc(d) == d && std::fabs(d) < 1e15)
      return fmt::format("{}", static_cast<int64_t>(d));
    return go_float(d);
  }
  return go_json(v, false);
}

}  // namespace cria::store
