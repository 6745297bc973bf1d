#include "registry/challenge.h"

#include <openssl/rand.h>

#include <fmt/core.h>

#include "base/base64.h"
#include "store/digest.h"

namespace cria::registry {

namespace {

// Ollama's getValue: key="value", where a '"' ends the value only before ',' or the end.
std::string header_value(std::string_view header, std::string_view key) {
  std::string needle = std::string(key) + "=";
  size_t start = header.find(needle);
  if (start == std::string_view::npos) return "";
  start += needle.size();
  if (start < header.size() && header[start] == '"') ++start;
  size_t end = start;
  while (end < header.size()) {
    if (header[end] == '"' && (end + 1 >= header.size() || header[end + 1] == ',')) break;
    if (header[end] == ',' && header[start - 1] != '"') break;
    ++end;
  }
  return std::string(header.substr(start, end - start));
}

}  // namespace

Challenge parse_challenge(std::string_view header) {
  if (header.substr(0, 7) == "Bearer " || header.substr(0, 7) == "bearer ") {
    header.remove_prefix(7);
  }
  return Challenge{header_value(header, "realm"), header_value(header, "service"),
                   header_value(header, "scope")};
}

Result<Url> token_url(const Challenge& c, std::string_view registry_host, int64_t unix_seconds,
                      std::string_view nonce) {
  if (c.realm.empty()) {
    return make_error(Errc::kUnavailable,
                      "the registry asked for authentication without naming a realm");
  }
  CRIA_ASSIGN_OR_RETURN(Url u, Url::parse(c.realm));
  if (u.host != registry_host) {
    return make_error(Errc::kUnavailable,
                      fmt::format("realm host \"{}\" does not match original host \"{}\"", u.host,
                                  registry_host));
  }
  QueryValues values = parse_query(u.query());
  values.emplace_back("service", c.service);
  std::string_view scopes = c.scope;
  while (true) {
    size_t sp = scopes.find(' ');
    values.emplace_back("scope", std::string(scopes.substr(0, sp)));
    if (sp == std::string_view::npos) break;
    scopes.remove_prefix(sp + 1);
  }
  values.emplace_back("ts", std::to_string(unix_seconds));
  values.emplace_back("nonce", std::string(nonce));
  u.target = u.path() + "?" + encode_query(std::move(values));
  return u;
}

std::string token_request_data(std::string_view method, const std::string& url) {
  std::string empty_hash = store::sha256_of("").hex();
  return fmt::format("{},{},{}", method, url, base64_encode(empty_hash));
}

std::string new_nonce() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) {
    for (auto& b : bytes) b = static_cast<unsigned char>(std::rand());
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
}

}  // namespace cria::registry
