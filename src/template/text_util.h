// Small string helpers shared by the template engine (internal to src/template).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/utf8.h"  // append_utf8, decode_utf8

namespace cria::tmpl {

// "ToolCallID" -> "tool_call_id", "IsThinkSet" -> "is_think_set".
std::string snake_case(std::string_view name);
std::string lower_case(std::string_view s);
// Python's str.strip/lstrip/rstrip with a set of characters (bytes).
std::string_view trim_chars(std::string_view s, std::string_view cutset, bool left, bool right);
inline constexpr std::string_view kWhitespace = " \t\n\r\v\f";

}  // namespace cria::tmpl
