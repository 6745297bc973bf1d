// Base64 (RFC 4648): standard with padding, and URL-safe without padding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cria {

std::string base64_encode(std::string_view bytes);
std::string base64url_encode(std::string_view bytes);  // no padding
// Standard alphabet, padding optional; nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace cria
