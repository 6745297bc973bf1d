// Small helpers for the developer commands' flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "cli/commands.h"

namespace cria::cli {

// Walks Args: `take("--model")` consumes "--model VALUE" or "--model=VALUE".
class Flags {
 public:
  explicit Flags(const Args& args) : args_(args) {}
  bool done() const { return i_ >= args_.size(); }
  const std::string& peek() const { return args_[i_]; }
  // The flag's value when the current argument is `name`, consuming both.
  std::optional<std::string> take(const std::string& name);
  bool take_switch(const std::string& name);
  std::string next() { return args_[i_++]; }

 private:
  const Args& args_;
  size_t i_ = 0;
};

Result<int64_t> parse_int(const std::string& flag, const std::string& value);
Result<double> parse_float(const std::string& flag, const std::string& value);
// "1 2 3" or "1,2,3" → ids.
Result<std::vector<int32_t>> parse_token_list(const std::string& flag, const std::string& value);

// Prints "Error: message" and returns 1 (2 for usage errors).
int fail(const Error& error);
int usage_error(const std::string& message, const char* usage);

}  // namespace cria::cli
