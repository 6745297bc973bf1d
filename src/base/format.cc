#include "base/format.h"

#include <cmath>

#include <fmt/core.h>

namespace cria {

namespace {

// Whole numbers print without decimals; others with `decimals` places.
std::string scaled(double value, int decimals, const char* suffix) {
  if (value == std::floor(value)) decimals = 0;
  return fmt::format("{:.{}f}{}", value, decimals, suffix);
}

}  // namespace

std::string human_number(uint64_t n) {
  const double v = static_cast<double>(n);
  if (n >= 1'000'000'000ULL) return scaled(v / 1e9, 1, "B");
  if (n >= 1'000'000ULL) return scaled(v / 1e6, 2, "M");
  if (n >= 1'000ULL) return fmt::format("{:.0f}K", v / 1e3);
  return fmt::format("{}", n);
}

std::string human_bytes(uint64_t n) {
  static constexpr const char* kUnits[] = {"KB", "MB", "GB", "TB"};
  if (n < 1000) return fmt::format("{} B", n);
  double v = static_cast<double>(n);
  int unit = -1;
  while (v >= 1000.0 && unit < 3) {
    v /= 1000.0;
    ++unit;
  }
  if (v >= 10.0) return fmt::format("{} {}", static_cast<uint64_t>(v), kUnits[unit]);
  if (v != std::trunc(v)) return fmt::format("{:.1f} {}", v, kUnits[unit]);
  return fmt::format("{} {}", static_cast<uint64_t>(v), kUnits[unit]);
}

std::string human_time(int64_t delta) {
  if (delta > int64_t{100} * 365 * 24 * 3600) return "Forever";
  const bool future = delta > 0;
  const char* suffix = future ? "from now" : "ago";
  const uint64_t s = static_cast<uint64_t>(delta < 0 ? -delta : delta);
  auto unit = [&](uint64_t n, const char* one, const char* many) {
    if (n == 1) return fmt::format("{} {}", one, suffix);
    return fmt::format("{} {} {}", n, many, suffix);
  };
  if (s < 1) return future ? "Less than a second from now" : "Less than a second ago";
  if (s < 60) return unit(s, "1 second", "seconds");
  if (s < 120) return fmt::format("About a minute {}", suffix);
  if (s < 3600) return unit(s / 60, "1 minute", "minutes");
  if (s < 7200) return fmt::format("About an hour {}", suffix);
  if (s < 86400) return unit(s / 3600, "1 hour", "hours");
  if (s < 172800) return fmt::format("{} {}", future ? "1 day" : "1 day", suffix);
  if (s < 14 * 86400) return unit(s / 86400, "1 day", "days");
  if (s < 60 * 86400) return unit(s / (7 * 86400), "1 week", "weeks");
  if (s < 730 * 86400) return unit(s / (30 * 86400), "1 month", "months");
  return unit(s / (365 * 86400), "1 year", "years");
}

}  // namespace cria
