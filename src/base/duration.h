// Durations as Ollama accepts them: a Go duration string ("5m", "1h30m", "250ms",
// "-1s") or a number of seconds; a negative duration means "forever".
#pragma once

#include <chrono>
#include <string_view>

#include "base/result.h"

namespace cria {

using Nanos = std::chrono::nanoseconds;

// Forever, as Ollama's keep_alive < 0: the largest representable duration.
inline constexpr Nanos kForever = Nanos::max();

// Parses a Go duration string ("1h2m3.5s", "300ms", "0"). A bare number is
// seconds, as Ollama's OLLAMA_KEEP_ALIVE reads it. Negative values map to kForever.
Result<Nanos> parse_duration(std::string_view text);

// A duration given as a JSON number of seconds (fractional allowed); negative: kForever.
Nanos seconds_to_duration(double seconds);

}  // namespace cria
