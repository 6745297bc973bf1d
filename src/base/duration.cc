#include "base/duration.h"

#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>

#include <fmt/core.h>

namespace cria {

namespace {

// Nanoseconds in one unit of a Go duration suffix, or 0 for an unknown suffix.
double unit_nanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") return 1e3;
  if (unit == "ms") return 1e6;
  if (unit == "s") return 1e9;
  if (unit == "m") return 60e9;
  if (unit == "h") return 3600e9;
  return 0;
}

Error bad_duration(std::string_view text) {
  return make_error(Errc::kInvalidArgument,
                    fmt::format("invalid duration \"{}\": use a number of seconds or a "
                                "duration like \"5m\", \"1h30m\", \"-1\"",
                                text));
}

bool is_number_char(char c) {
  return (c >= '0' && c <= '9') || c == '.';
}

// Sums "<number><unit>" groups, e.g. "1h30m": nanoseconds, or nullopt when malformed.
std::optional<double> sum_groups(std::string_view s) {
  double total = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && is_number_char(s[n])) ++n;
    if (n == 0) return std::nullopt;
    std::string num(s.substr(0, n));
    char* end = nullptr;
    double v = std::strtod(num.c_str(), &end);
    if (*end != '\0') return std::nullopt;
    s.remove_prefix(n);
    size_t u = 0;
    while (u < s.size() && !is_number_char(s[u])) ++u;
    double scale = unit_nanos(s.substr(0, u));
    if (scale == 0) return std::nullopt;
    total += v * scale;
    s.remove_prefix(u);
  }
  return total;
}

}  // namespace

Nanos seconds_to_duration(double seconds) {
  if (std::isnan(seconds) || seconds < 0) return kForever;
  double ns = seconds * 1e9;
  if (ns >= static_cast<double>(Nanos::max().count())) return kForever;
  return Nanos(static_cast<int64_t>(ns));
}

Result<Nanos> parse_duration(std::string_view text) {
  std::string_view s = text;
  if (s.empty()) return bad_duration(text);
  bool negative = false;
  if (s[0] == '-' || s[0] == '+') {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return bad_duration(text);
  std::string whole(s);
  char* end = nullptr;
  double seconds = std::strtod(whole.c_str(), &end);
  if (*end == '\0' && is_number_char(whole[0])) {
    return negative ? kForever : seconds_to_duration(seconds);
  }
  auto ns = sum_groups(s);
  if (!ns) return bad_duration(text);
  if (negative && *ns > 0) return kForever;
  return seconds_to_duration(*ns / 1e9);
}

}  // namespace cria
