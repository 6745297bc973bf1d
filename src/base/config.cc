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

Result<int> parse_count(const char* name, const std::string& v, int lo, int hi) {
  char* end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || n < lo || n > hi) {
    return make_error(
        Errc::kInvalidArgument,
        fmt::format("{}={} is not valid: use a whole number from {} to {}", name, v, lo, hi));
  }
  return static_cast<int>(n);
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    std::string item = v.substr(start, comma - start);
    size_t b = item.find_first_not_of(" \t");
    size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
    start = comma + 1;
  }
  return out;
}

Result<int> parse_port(const std::string& value, const std::string& port) {
  char* end = nullptr;
  long n = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || n < 0 || n > 65535) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("OLLAMA_HOST={} has an invalid port \"{}\"", value, port));
  }
  return static_cast<int>(n);
}

// Splits "host:port", "[v6]:port", "host" into its parts; port "" when absent.
void split_host_port(const std::string& hostport, std::string& host, std::string& port) {
  if (!hostport.empty() && hostport[0] == '[') {
    size_t close = hostport.find(']');
    host = hostport.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < hostport.size() && hostport[close + 1] == ':')
      port = hostport.substr(close + 2);
    return;
  }
  size_t colon = hostport.rfind(':');
  if (colon != std::string::npos && hostport.find(':') == colon) {
    host = hostport.substr(0, colon);
    port = hostport.substr(colon + 1);
  } else {
    host = hostport;
  }
}

Status read_server_env(const EnvLookup& env, Config& c) {
  if (auto v = env("OLLAMA_KEEP_ALIVE"); v && !v->empty()) {
    auto d = parse_duration(*v);
    if (!d.ok()) {
      return make_error(Errc::kInvalidArgument, "OLLAMA_KEEP_ALIVE: " + d.error().message);
    }
    c.keep_alive = *d;
  }
  if (auto v = env("OLLAMA_LOAD_TIMEOUT"); v && !v->empty()) {
    CRIA_ASSIGN_OR_RETURN(c.load_timeout, parse_duration(*v));
  }
  struct Count {
    const char* name;
    int* dst;
    int lo, hi;
  };
  for (const Count& n : {Count{"OLLAMA_MAX_QUEUE", &c.max_queue, 1, 1 << 20},
                         Count{"OLLAMA_MAX_LOADED_MODELS", &c.max_loaded_models, 0, 1024},
                         Count{"OLLAMA_NUM_PARALLEL", &c.num_parallel, 0, 256},
                         Count{"OLLAMA_CONTEXT_LENGTH", &c.context_length, 1, 1 << 24},
                         Count{"CRIA_PULL_PART_SIZE", &c.pull_part_size, 0, 1 << 30}}) {
    if (auto v = env(n.name); v && !v->empty()) {
      CRIA_ASSIGN_OR_RETURN(*n.dst, parse_count(n.name, *v, n.lo, n.hi));
    }
  }
  if (c.num_parallel == 0) c.num_parallel = 1;
  if (auto v = env("OLLAMA_ORIGINS")) c.origins = split_list(*v);
  if (auto v = env("OLLAMA_NOPRUNE")) {
    CRIA_ASSIGN_OR_RETURN(auto b, parse_bool("OLLAMA_NOPRUNE", *v));
    c.noprune = b.value_or(false);
  }
  if (auto v = env("OLLAMA_NOHISTORY")) {
    CRIA_ASSIGN_OR_RETURN(auto b, parse_bool("OLLAMA_NOHISTORY", *v));
    c.nohistory = b.value_or(false);
  }
  return {};
}

}  // namespace

std::string HostAddr::connect_host() const {
  std::string h = host.empty() || host == "0.0.0.0" ? "127.0.0.1" : host;
  if (h == "::") h = "::1";
  return h.find(':') != std::string::npos ? "[" + h + "]" : h;
}

std::string HostAddr::url() const {
  return fmt::format("{}://{}:{}", scheme, connect_host(), port);
}

Result<HostAddr> parse_host(const std::string& value) {
  HostAddr a;
  std::string s = value;
  size_t b = s.find_first_not_of(" \t\"'");
  size_t e = s.find_last_not_of(" \t\"'");
  s = b == std::string::npos ? "" : s.substr(b, e - b + 1);
  std::string default_port = "11434";
  if (size_t sep = s.find("://"); sep != std::string::npos) {
    a.scheme = s.substr(0, sep);
    s = s.substr(sep + 3);
    if (a.scheme == "http") default_port = "80";
    if (a.scheme == "https") default_port = "443";
  }
  s = s.substr(0, s.find('/'));
  std::string host, port;
  split_host_port(s, host, port);
  a.host = s.empty() ? "127.0.0.1" : host;
  CRIA_ASSIGN_OR_RETURN(a.port, parse_port(value, port.empty() ? default_port : port));
  return a;
}

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
  CRIA_ASSIGN_OR_RETURN(c.host_addr, parse_host(c.host));
  if (auto home = env("HOME")) c.home = *home;
  CRIA_RETURN_IF_ERROR(read_server_env(env, c));
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
