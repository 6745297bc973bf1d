// Small string helpers shared by the template engine (internal to src/template).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cria::tmpl {

void append_utf8(char32_t cp, std::string* out);
// Decodes the code point at s[i]; false on invalid UTF-8 (then *len is 1).
bool decode_utf8(std::string_view s, std::size_t i, char32_t* cp, std::size_t* len);
// "ToolCallID" -> "tool_call_id", "IsThinkSet" -> "is_think_set".
std::string snake_case(std::string_view name);
std::string lower_case(std::string_view s);
// Python's str.strip/lstrip/rstrip with a set of characters (bytes).
std::string_view trim_chars(std::string_view s, std::string_view cutset, bool left, bool right);
inline constexpr std::string_view kWhitespace = " \t\n\r\v\f";

}  // namespace cria::tmpl
