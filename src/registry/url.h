// URLs as the registry protocol needs them: scheme, authority and target, a
// Location header resolved against the request's URL, and Go's query encoding
// (url.Values.Encode: keys sorted, values QueryEscape'd).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cria::registry {

struct Url {
  std::string scheme;        // "http" or "https"
  std::string host;          // authority: host[:port]
  std::string target = "/";  // path and query

  static Result<Url> parse(std::string_view s);
  // A Location header: absolute ("https://..."), network-path ("//host/...") or
  // absolute-path ("/v2/..."), taken relative to this URL.
  Result<Url> resolve(std::string_view location) const;

  std::string origin() const { return scheme + "://" + host; }
  std::string str() const { return origin() + target; }
  // The host without its port (what Ollama compares for redirects).
  std::string hostname() const;
  std::string path() const;
  std::string query() const;  // without '?'
  // Appends key=value (QueryEscape'd) to the query.
  void add_query(std::string_view key, std::string_view value);
};

using QueryValues = std::vector<std::pair<std::string, std::string>>;

// Go's url.QueryEscape: letters, digits and "-_.~" stay, ' ' is '+', the rest %XX.
std::string query_escape(std::string_view s);
std::string query_unescape(std::string_view s);
QueryValues parse_query(std::string_view query);
// Go's url.Values.Encode: sorted by key (stable for repeated keys).
std::string encode_query(QueryValues values);

}  // namespace cria::registry
