#include "api/options.h"

#include <cmath>
#include <functional>

#include <fmt/core.h>

namespace cria::api {

namespace {

enum class Kind { kInt, kFloat, kBool, kStrings };

struct Field {
  const char* name;
  Kind kind;
  std::function<void(Options&, const Json&)> set;
  std::function<Json(const Options&)> get;
};

template <class T>
Field field(const char* name, Kind kind, T Options::*member) {
  return Field{name, kind, [member](Options& o, const Json& v) { o.*member = v.get<T>(); },
               [member](const Options& o) { return Json(o.*member); }};
}

const std::vector<Field>& fields() {
  static const std::vector<Field> table = {
      field("num_ctx", Kind::kInt, &Options::num_ctx),
      field("num_batch", Kind::kInt, &Options::num_batch),
      field("num_gpu", Kind::kInt, &Options::num_gpu),
      field("main_gpu", Kind::kInt, &Options::main_gpu),
      field("num_thread", Kind::kInt, &Options::num_thread),
      field("use_mmap", Kind::kBool, &Options::use_mmap),
      field("num_keep", Kind::kInt, &Options::num_keep),
      field("seed", Kind::kInt, &Options::seed),
      field("num_predict", Kind::kInt, &Options::num_predict),
      field("top_k", Kind::kInt, &Options::top_k),
      field("top_p", Kind::kFloat, &Options::top_p),
      field("min_p", Kind::kFloat, &Options::min_p),
      field("typical_p", Kind::kFloat, &Options::typical_p),
      field("repeat_last_n", Kind::kInt, &Options::repeat_last_n),
      field("temperature", Kind::kFloat, &Options::temperature),
      field("repeat_penalty", Kind::kFloat, &Options::repeat_penalty),
      field("presence_penalty", Kind::kFloat, &Options::presence_penalty),
      field("frequency_penalty", Kind::kFloat, &Options::frequency_penalty),
      field("stop", Kind::kStrings, &Options::stop),
  };
  return table;
}

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::kInt:
      return "an integer";
    case Kind::kFloat:
      return "a number";
    case Kind::kBool:
      return "a boolean";
    case Kind::kStrings:
      return "an array of strings";
  }
  return "?";
}

// Whether v can be stored as kind; integers given as whole floats (1.0) count.
bool fits(Kind kind, const Json& v) {
  switch (kind) {
    case Kind::kInt:
      if (v.is_number_integer()) return true;
      return v.is_number_float() && std::isfinite(v.get<double>()) &&
             std::floor(v.get<double>()) == v.get<double>() && std::fabs(v.get<double>()) < 9e18;
    case Kind::kFloat:
      return v.is_number();
    case Kind::kBool:
      return v.is_boolean();
    case Kind::kStrings:
      if (v.is_string()) return true;
      if (!v.is_array()) return false;
      for (const Json& s : v)
        if (!s.is_string()) return false;
      return true;
  }
  return false;
}

Json normalise(Kind kind, const Json& v) {
  if (kind == Kind::kInt && v.is_number_float()) return Json(static_cast<int64_t>(v.get<double>()));
  if (kind == Kind::kStrings && v.is_string()) return Json::array({v});
  return v;
}

}  // namespace

Status apply_options(const Json& object, Options& options, std::vector<std::string>* unknown) {
  if (object.is_null()) return {};
  if (!object.is_object()) {
    return make_error(Errc::kInvalidArgument, "options must be a JSON object");
  }
  for (const auto& [name, value] : object.items()) {
    const Field* f = nullptr;
    for (const Field& candidate : fields())
      if (name == candidate.name) f = &candidate;
    if (f == nullptr) {
      if (unknown) unknown->push_back(name);
      continue;
    }
    if (value.is_null()) continue;
    if (!fits(f->kind, value)) {
      return make_error(
          Errc::kInvalidArgument,
          fmt::format("option \"{}\" must be {}, got {}", name, kind_name(f->kind), value.dump()));
    }
    f->set(options, normalise(f->kind, value));
  }
  return {};
}

Status validate_options(const Options& o) {
  auto bad = [](const char* name, const std::string& why) {
    return make_error(Errc::kInvalidArgument, fmt::format("option \"{}\" {}", name, why));
  };
  if (o.num_ctx < 1 || o.num_ctx > (1 << 24)) return bad("num_ctx", "must be from 1 to 16777216");
  if (o.num_batch < 1 || o.num_batch > (1 << 20)) return bad("num_batch", "must be positive");
  if (o.num_predict < -2 || o.num_predict > INT32_MAX)
    return bad("num_predict", "must be -1 (no limit) or from 0 to 2147483647");
  if (o.num_thread < 0 || o.num_thread > 1024) return bad("num_thread", "must be from 0 to 1024");
  auto prob = [&](const char* name, double v) -> Status {
    if (!(v >= 0.0 && v <= 1.0)) return bad(name, "must be between 0 and 1");
    return {};
  };
  CRIA_RETURN_IF_ERROR(prob("top_p", o.top_p));
  CRIA_RETURN_IF_ERROR(prob("min_p", o.min_p));
  CRIA_RETURN_IF_ERROR(prob("typical_p", o.typical_p));
  if (!std::isfinite(o.temperature)) return bad("temperature", "must be a finite number");
  if (!(o.repeat_penalty > 0) || !std::isfinite(o.repeat_penalty))
    return bad("repeat_penalty", "must be a positive number");
  if (!std::isfinite(o.presence_penalty)) return bad("presence_penalty", "must be finite");
  if (!std::isfinite(o.frequency_penalty)) return bad("frequency_penalty", "must be finite");
  if (o.repeat_last_n < -1) return bad("repeat_last_n", "must be -1, 0 or positive");
  if (o.top_k > (1 << 30)) return bad("top_k", "is too large");
  return {};
}

Json options_to_json(const Options& options) {
  static const Options defaults;
  Json out = Json::object();
  for (const Field& f : fields()) {
    Json v = f.get(options);
    if (v != f.get(defaults)) out[f.name] = v;
  }
  return out;
}

}  // namespace cria::api
