#include "base/config.h"

#include <cctype>
#include <cstdlib>

#include <fmt/core.h>

namespace cria {

EnvLookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    const char* v = std::getenv(name);  // the one place that reads the environment
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

Result<log::Level> parse_debug(const std::string& v) {
  if (v.empty() || v == "0" || v == "false" || v == "FALSE" || v == "False")
    return log::Level::kInfo;
  if (v == "1" || v == "true" || v == "TRUE" || v == "True") return log::Level::kDebug;
  if (v == "2") return log::Level::kTrace;
  return make_error(Errc::kInvalidArgument,
                    fmt::format("OLLAMA_DEBUG={} is not valid: use 0, 1 (debug) or 2 (trace)", v));
}

Result<int> parse_threads(const std::string& v) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < 0 || n > 1024) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("CRIA_NUM_THREADS={} is not a thread count (0-1024)", v));
  }
  return static_cast<int>(n);
}

Result<std::optional<bool>> parse_bool(const char* name, const std::string& v) {
  if (v.empty()) return std::optional<bool>();
  if (v == "1" || v == "true" || v == "TRUE" || v == "True") return std::optional<bool>(true);
  if (v == "0" || v == "false" || v == "FALSE" || v == "False") return std::optional<bool>(false);
  return make_error(Errc::kInvalidArgument,
                    fmt::format("{}={} is not valid: use 1/true or 0/false", name, v));
}

Result<std::string> parse_kv_type(const std::string& v) {
  std::string t;
  for (char c : v) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t.empty()) return std::string("f16");
  if (t == "f16" || t == "q8_0" || t == "q4_0") return t;
  return make_error(Errc::kInvalidArgument,
                    fmt::format("OLLAMA_KV_CACHE_TYPE={} is not valid: use f16, q8_0 or q4_0", v));
}

}  // namespace

Result<Config> Config::from_env(const EnvLookup& env) {
  Config c;
  if (auto v = env("OLLAMA_DEBUG")) {
    CRIA_ASSIGN_OR_RETURN(c.log_level, parse_debug(*v));
  }
  if (auto v = env("OLLAMA_MODELS"); v && !v->empty()) {
    c.models_dir = *v;
  } else {
    auto home = env("HOME");
    c.models_dir = (home ? *home : std::string(".")) + "/.ollama/models";
  }
  if (auto v = env("OLLAMA_HOST"); v && !v->empty()) c.host = *v;
  if (auto v = env("CRIA_NUM_THREADS")) {
    CRIA_ASSIGN_OR_RETURN(c.num_threads, parse_threads(*v));
  }
  if (auto v = env("OLLAMA_FLASH_ATTENTION")) {
    CRIA_ASSIGN_OR_RETURN(c.flash_attention, parse_bool("OLLAMA_FLASH_ATTENTION", *v));
  }
  if (auto v = env("OLLAMA_KV_CACHE_TYPE")) {
    CRIA_ASSIGN_OR_RETURN(c.kv_cache_type, parse_kv_type(*v));
  }
  return c;
}

}  // namespace cria
