// UTF-8 encoding and decoding, and Go's string quoting (strconv.Quote), shared by the
// template engine (printf's %q) and the Modelfile renderer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace cria {

void append_utf8(char32_t cp, std::string* out);
// Decodes the code point at s[i]; false on invalid UTF-8 (then *len is 1).
bool decode_utf8(std::string_view s, std::size_t i, char32_t* cp, std::size_t* len);
// Go's strconv.Quote for the text we see: \a \b \f \n \r \t \v \\ \" escaped, other
// control bytes and invalid UTF-8 as \xNN, everything else as is.
std::string go_quote(const std::string& s);

}  // namespace cria
