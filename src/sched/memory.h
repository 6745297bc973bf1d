// Free system memory, as the scheduler sees it before loading a model, and sizes
// printed the way Ollama prints them in memory errors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace cria::sched {

// MemAvailable from /proc/meminfo, in bytes; 0 when unknown.
uint64_t available_memory();

// The MemAvailable line of /proc/meminfo's text, in bytes; 0 when it is missing.
uint64_t parse_mem_available(std::string_view meminfo);

// Binary units with one decimal, as Ollama's HumanBytes2: "5.2 GiB", "310.0 MiB", "12 B".
std::string human_bytes_binary(uint64_t bytes);

}  // namespace cria::sched
