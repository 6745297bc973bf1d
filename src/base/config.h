// Configuration from the environment, read ONCE at the top of the program and
// passed down as values. Library code never calls getenv.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/duration.h"

#include "base/log.h"
#include "base/result.h"

namespace cria {

using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment.
EnvLookup process_env();

// Where the server listens and clients connect, from OLLAMA_HOST as Ollama reads it:
// "host", "host:port", ":port", "scheme://host:port"; defaults 127.0.0.1 and 11434.
struct HostAddr {
  std::string scheme = "http";
  std::string host = "127.0.0.1";  // "" listens on every interface
  int port = 11434;

  // host:port for a client ("" becomes 127.0.0.1; IPv6 in brackets).
  std::string connect_host() const;
  std::string url() const;  // scheme://connect_host:port
};

Result<HostAddr> parse_host(const std::string& value);

struct Config {
  log::Level log_level = log::Level::kInfo;      // OLLAMA_DEBUG: 1/true -> debug, 2 -> trace
  std::string models_dir;                        // OLLAMA_MODELS, default ~/.ollama/models
  std::string host = "127.0.0.1:11434";          // OLLAMA_HOST
  int num_threads = 0;                           // CRIA_NUM_THREADS; 0 = physical cores
  std::optional<bool> flash_attention;           // OLLAMA_FLASH_ATTENTION; unset = auto
  std::string kv_cache_type = "f16";             // OLLAMA_KV_CACHE_TYPE: f16, q8_0, q4_0
  HostAddr host_addr;                            // OLLAMA_HOST, parsed
  Nanos keep_alive = std::chrono::minutes(5);    // OLLAMA_KEEP_ALIVE
  int max_queue = 512;                           // OLLAMA_MAX_QUEUE
  int max_loaded_models = 0;                     // OLLAMA_MAX_LOADED_MODELS; 0: 3
  int num_parallel = 1;                          // OLLAMA_NUM_PARALLEL
  int context_length = 4096;                     // OLLAMA_CONTEXT_LENGTH
  Nanos load_timeout = std::chrono::minutes(5);  // OLLAMA_LOAD_TIMEOUT
  std::vector<std::string> origins;              // OLLAMA_ORIGINS, comma-separated
  bool noprune = false;                          // OLLAMA_NOPRUNE
  bool nohistory = false;                        // OLLAMA_NOHISTORY
  std::string home;                              // HOME (history file, default store)
  int pull_part_size = 0;  // CRIA_PULL_PART_SIZE: bytes per download part; 0 = Ollama's plan

  static Result<Config> from_env(const EnvLookup& env);
};

}  // namespace cria
