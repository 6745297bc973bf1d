// Ollama's registry auth: a 401 carries `WWW-Authenticate: Bearer realm=...,
// service=...,scope=...`; the client asks the realm for a token with a GET whose
// Authorization header is its ed25519 signature of the request (key.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"
#include "registry/url.h"

namespace cria::registry {

struct Challenge {
  std::string realm;
  std::string service;
  std::string scope;  // space-separated scopes
};

// Parses a WWW-Authenticate header value as Ollama does (quoted values; a quote
// not followed by ',' belongs to the value).
Challenge parse_challenge(std::string_view header);

// The token request URL: the realm with service, each scope, ts and nonce added
// (its query re-encoded as Go's url.Values.Encode does). A realm on another
// host than `registry_host` (host[:port]) is refused: the signed request would
// go to someone else.
Result<Url> token_url(const Challenge& c, std::string_view registry_host, int64_t unix_seconds,
                      std::string_view nonce);

// What the client signs for a token request:
// "GET,<url>,<base64 of the hex sha256 of an empty body>".
std::string token_request_data(std::string_view method, const std::string& url);

// 16 random bytes, base64url without padding (Ollama's auth.NewNonce).
std::string new_nonce();

}  // namespace cria::registry
