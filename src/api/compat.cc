#include "api/compat.h"

#include <chrono>
#include <random>

#include <fmt/core.h>

namespace cria::api::compat {

Error bad_request(std::string message) {
  return make_error(Errc::kInvalidArgument, std::move(message));
}

std::string random_id(std::string_view prefix) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng{std::random_device{}()};
  std::uniform_int_distribution<size_t> pick(0, kAlphabet.size() - 1);
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id += kAlphabet[pick(rng)];
  return id;
}

int64_t unix_now() {
  using namespace std::chrono;
  return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

namespace {

const Json* field(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

}  // namespace

Status read_string(const Json& body, const char* key, std::string& out) {
  const Json* v = field(body, key);
  if (!v) return {};
  if (!v->is_string()) return bad_request(fmt::format("\"{}\" must be a string", key));
  out = v->get<std::string>();
  return {};
}

Status read_bool(const Json& body, const char* key, bool& out) {
  const Json* v = field(body, key);
  if (!v) return {};
  if (!v->is_boolean()) return bad_request(fmt::format("\"{}\" must be true or false", key));
  out = v->get<bool>();
  return {};
}

Status copy_number(const Json& body, const char* key, Json& options, const char* option) {
  const Json* v = field(body, key);
  if (!v) return {};
  if (!v->is_number()) return bad_request(fmt::format("\"{}\" must be a number", key));
  options[option] = *v;
  return {};
}

Status copy_integer(const Json& body, const char* key, Json& options, const char* option) {
  const Json* v = field(body, key);
  if (!v) return {};
  bool whole = v->is_number_integer() ||
               (v->is_number_float() &&
                v->get<double>() == static_cast<double>(static_cast<int64_t>(v->get<double>())));
  if (!whole) return bad_request(fmt::format("\"{}\" must be an integer", key));
  options[option] = v->is_number_integer() ? *v : Json(static_cast<int64_t>(v->get<double>()));
  return {};
}

Status copy_stop(const Json& body, const char* key, Json& options) {
  const Json* v = field(body, key);
  if (!v) return {};
  std::string err = fmt::format("\"{}\" must be a string or an array of strings", key);
  Json stops = Json::array();
  if (v->is_string()) {
    stops.push_back(*v);
  } else if (v->is_array()) {
    for (const Json& s : *v) {
      if (!s.is_string()) return bad_request(err);
      stops.push_back(s);
    }
  } else {
    return bad_request(err);
  }
  options["stop"] = stops;
  return {};
}

std::string tool_name_for(const std::vector<Message>& messages, const std::string& call_id) {
  if (call_id.empty()) return "";
  for (auto m = messages.rbegin(); m != messages.rend(); ++m) {
    for (const ToolCall& c : m->tool_calls) {
      if (c.id == call_id) return c.name;
    }
  }
  return "";
}

Status keep_only_tool(Json& tools, const std::string& name) {
  Json kept = Json::array();
  for (const Json& t : tools) {
    const Json* fn = t.is_object() ? field(t, "function") : nullptr;
    if (fn && fn->is_object() && fn->value("name", "") == name) kept.push_back(t);
  }
  if (kept.empty())
    return bad_request(fmt::format("tool_choice names \"{}\", which is not in \"tools\"", name));
  tools = std::move(kept);
  return {};
}

}  // namespace cria::api::compat
