// Human-readable numbers and sizes, as Ollama prints them.
#pragma once

#include <cstdint>
#include <string>

namespace cria {

// Parameter counts: 292800 -> "293K", 2086400 -> "2.09M", 8030261248 -> "8.0B".
std::string human_number(uint64_t n);

// Byte sizes in decimal units: 1185376 -> "1.2 MB", 4806528 -> "4.8 MB".
std::string human_bytes(uint64_t n);

// How long ago / until a moment, as Ollama's `list` and `ps` print it:
// "Less than a second ago", "5 seconds ago", "About a minute ago", "3 hours ago",
// "2 days ago", "4 minutes from now", "Forever" (more than 100 years away).
std::string human_time(int64_t seconds_from_now);

}  // namespace cria
