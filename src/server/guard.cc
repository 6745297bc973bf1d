#include "server/guard.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace cria::server {

namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Host header without its port ("[::1]:80" -> "::1").
std::string strip_port(const std::string& host) {
  if (!host.empty() && host[0] == '[') {
    size_t close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  size_t colon = host.find(':');
  if (colon != std::string::npos && host.find(':', colon + 1) == std::string::npos)
    return host.substr(0, colon);
  return host;
}

bool is_loopback_ip(const std::string& h) {
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  if (inet_pton(AF_INET6, h.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
  return false;
}

bool is_private_ip(const std::string& h) {
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) != 1) return false;
  uint32_t a = ntohl(v4.s_addr);
  return (a >> 24) == 10 || (a >> 20) == 0xAC1 || (a >> 16) == 0xC0A8;
}

bool glob_match(const std::string& pattern, const std::string& text) {
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

Guard::Guard(std::string listen_host, std::vector<std::string> extra_origins) {
  loopback_only_ = listen_host == "localhost" || is_loopback_ip(listen_host);
  for (auto& o : extra_origins) origins_.push_back(lower(o));
  for (const char* h : {"localhost", "127.0.0.1", "0.0.0.0"}) {
    for (const char* scheme : {"http", "https"}) {
      origins_.push_back(std::string(scheme) + "://" + h);
      origins_.push_back(std::string(scheme) + "://" + h + ":*");
    }
  }
  for (const char* o :
       {"app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*"})
    origins_.push_back(o);
}

bool Guard::host_allowed(const std::string& host_header) const {
  if (!loopback_only_) return true;
  std::string h = lower(strip_port(host_header));
  if (h.empty() || h == "localhost" || is_loopback_ip(h) || is_private_ip(h)) return true;
  char name[256] = {0};
  if (gethostname(name, sizeof name - 1) == 0 && h == lower(name)) return true;
  return ends_with(h, ".localhost") || ends_with(h, ".local") || ends_with(h, ".internal");
}

bool Guard::origin_allowed(const std::string& origin) const {
  std::string o = lower(origin);
  return std::any_of(origins_.begin(), origins_.end(),
                     [&](const std::string& p) { return p == "*" || glob_match(p, o); });
}

}  // namespace cria::server
