#include "registry/url.h"

#include <algorithm>

#include <fmt/core.h>

namespace cria::registry {

namespace {

bool unreserved(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<Url> Url::parse(std::string_view s) {
  size_t sep = s.find("://");
  if (sep == std::string_view::npos) {
    return make_error(Errc::kInvalidArgument, fmt::format("\"{}\" is not an absolute URL", s));
  }
  Url u;
  u.scheme = std::string(s.substr(0, sep));
  std::transform(u.scheme.begin(), u.scheme.end(), u.scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (u.scheme != "http" && u.scheme != "https") {
    return make_error(Errc::kUnsupported, fmt::format("unsupported URL scheme in \"{}\"", s));
  }
  std::string_view rest = s.substr(sep + 3);
  size_t slash = rest.find_first_of("/?");
  u.host = std::string(rest.substr(0, slash));
  if (u.host.empty())
    return make_error(Errc::kInvalidArgument, fmt::format("no host in \"{}\"", s));
  if (slash != std::string_view::npos) {
    u.target = std::string(rest.substr(slash));
    if (u.target[0] == '?') u.target = "/" + u.target;
  }
  return u;
}

Result<Url> Url::resolve(std::string_view location) const {
  if (location.find("://") != std::string_view::npos) return Url::parse(location);
  if (location.substr(0, 2) == "//") return Url::parse(scheme + ":" + std::string(location));
  Url u = *this;
  if (!location.empty() && location[0] == '/') {
    u.target = std::string(location);
    return u;
  }
  std::string p = path();
  u.target = p.substr(0, p.rfind('/') + 1) + std::string(location);
  return u;
}

std::string Url::hostname() const {
  if (!host.empty() && host[0] == '[') return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.rfind(':'));
}

std::string Url::path() const {
  return target.substr(0, target.find('?'));
}

std::string Url::query() const {
  size_t q = target.find('?');
  return q == std::string::npos ? "" : target.substr(q + 1);
}

void Url::add_query(std::string_view key, std::string_view value) {
  target += target.find('?') == std::string::npos ? '?' : '&';
  target += query_escape(key) + "=" + query_escape(value);
}

std::string query_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (unreserved(c)) {
      out += c;
    } else if (c == ' ') {
      out += '+';
    } else {
      auto b = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[b >> 4];
      out += kHex[b & 15];
    }
  }
  return out;
}

std::string query_unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

QueryValues parse_query(std::string_view query) {
  QueryValues out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string_view v = eq == std::string_view::npos ? std::string_view() : kv.substr(eq + 1);
    out.emplace_back(query_unescape(kv.substr(0, eq)), query_unescape(v));
  }
  return out;
}

std::string encode_query(QueryValues values) {
  std::stable_sort(values.begin(), values.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string out;
  for (const auto& [k, v] : values) {
    if (!out.empty()) out += '&';
    out += query_escape(k) + "=" + query_escape(v);
  }
  return out;
}

}  // namespace cria::registry
