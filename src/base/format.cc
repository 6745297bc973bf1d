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

}  // namespace cria
