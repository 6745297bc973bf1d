// Configuration from the environment, read ONCE at the top of the program and
// passed down as values. Library code never calls getenv.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/log.h"
#include "base/result.h"

namespace cria {

using EnvLookup = std::function<std::optional<std::string>(const char* name)>;

// The process environment.
EnvLookup process_env();

struct Config {
  log::Level log_level = log::Level::kInfo;  // OLLAMA_DEBUG: 1/true -> debug, 2 -> trace
  std::string models_dir;                    // OLLAMA_MODELS, default ~/.ollama/models
  std::string host = "127.0.0.1:11434";      // OLLAMA_HOST
  int num_threads = 0;                       // CRIA_NUM_THREADS; 0 = physical cores
  std::optional<bool> flash_attention;       // OLLAMA_FLASH_ATTENTION; unset = auto
  std::string kv_cache_type = "f16";         // OLLAMA_KV_CACHE_TYPE: f16, q8_0, q4_0

  static Result<Config> from_env(const EnvLookup& env);
};

}  // namespace cria
