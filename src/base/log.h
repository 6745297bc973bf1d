// Minimal leveled logging to stderr. The level is set once at start-up from
// configuration (OLLAMA_DEBUG), never read from the environment here.
#pragma once

#include <string_view>
#include <utility>

#include <fmt/core.h>

namespace cria::log {

enum class Level { kTrace = 0, kDebug = 1, kInfo = 2, kWarn = 3, kError = 4 };

void set_level(Level level);
Level level();
void write(Level level, std::string_view message);

template <class... Args>
void at(Level lvl, fmt::format_string<Args...> f, Args&&... args) {
  if (lvl >= level()) write(lvl, fmt::format(f, std::forward<Args>(args)...));
}
template <class... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  at(Level::kDebug, f, std::forward<Args>(args)...);
}
template <class... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  at(Level::kInfo, f, std::forward<Args>(args)...);
}
template <class... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  at(Level::kWarn, f, std::forward<Args>(args)...);
}
template <class... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  at(Level::kError, f, std::forward<Args>(args)...);
}

}  // namespace cria::log
