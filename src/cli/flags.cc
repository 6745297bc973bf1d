#include "cli/flags.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include <fmt/core.h>

namespace cria::cli {

std::optional<std::string> Flags::take(const std::string& name) {
  if (done()) return std::nullopt;
  const std::string& a = args_[i_];
  if (a == name && i_ + 1 < args_.size()) {
    i_ += 2;
    return args_[i_ - 1];
  }
  if (a.size() > name.size() + 1 && a.compare(0, name.size(), name) == 0 && a[name.size()] == '=') {
    ++i_;
    return a.substr(name.size() + 1);
  }
  return std::nullopt;
}

bool Flags::take_switch(const std::string& name) {
  if (done() || args_[i_] != name) return false;
  ++i_;
  return true;
}

Result<int64_t> parse_int(const std::string& flag, const std::string& value) {
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0' || errno != 0) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("{}: '{}' is not an integer", flag, value));
  }
  return static_cast<int64_t>(v);
}

Result<double> parse_float(const std::string& flag, const std::string& value) {
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(value.c_str(), &end);
  if (value.empty() || *end != '\0' || errno != 0) {
    return make_error(Errc::kInvalidArgument, fmt::format("{}: '{}' is not a number", flag, value));
  }
  return v;
}

Result<std::vector<int32_t>> parse_token_list(const std::string& flag, const std::string& value) {
  std::vector<int32_t> ids;
  std::string item;
  auto flush = [&]() -> Status {
    if (item.empty()) return {};
    CRIA_ASSIGN_OR_RETURN(int64_t id, parse_int(flag, item));
    if (id < 0 || id > INT32_MAX) {
      return make_error(Errc::kInvalidArgument, fmt::format("{}: bad token id {}", flag, id));
    }
    ids.push_back(static_cast<int32_t>(id));
    item.clear();
    return {};
  };
  for (char c : value) {
    if (c == ' ' || c == ',' || c == '\t' || c == '\n') {
      CRIA_RETURN_IF_ERROR(flush());
    } else {
      item += c;
    }
  }
  CRIA_RETURN_IF_ERROR(flush());
  if (ids.empty()) return make_error(Errc::kInvalidArgument, flag + ": no token ids given");
  return ids;
}

int fail(const Error& error) {
  std::fprintf(stderr, "Error: %s\n", error.message.c_str());
  return error.code == Errc::kInvalidArgument ? 2 : 1;
}

int usage_error(const std::string& message, const char* usage) {
  std::fprintf(stderr, "Error: %s\n\nUsage:\n  %s\n", message.c_str(), usage);
  return 2;
}

}  // namespace cria::cli
