// One HTTP exchange with a registry or a CDN (cpp-httplib underneath): no
// redirects followed and no authentication; client.h adds those.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "registry/url.h"

namespace cria::registry {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;  // non-2xx bodies, and 2xx ones without an on_body receiver

  // "" when absent.
  std::string header(std::string_view name) const;
  bool ok() const { return status >= 200 && status < 300; }
};

// A request body streamed from a section of a file.
struct FileBody {
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
  // Sees each chunk as it is sent (progress, checksums); false stops the request.
  std::function<bool(std::string_view chunk)> on_chunk;
};

struct HttpRequest {
  std::string method = "GET";
  Url url;
  Headers headers;
  std::string body;  // sent when `file` has no path
  FileBody file;
  // Called once the status and headers are in; false stops before the body.
  std::function<bool(const HttpResponse&)> on_headers;
  // Receives a 2xx body piece by piece; false stops the transfer.
  std::function<bool(std::string_view)> on_body;
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{30000};
  // A read that waits longer fails the request: a stalled transfer.
  std::chrono::milliseconds read_timeout{30000};
  std::string user_agent = "cria";
};

// Errors: kUnavailable when no answer came (connection refused, reset, timeout);
// a request stopped by a callback reports kUnavailable with "stopped" in it and
// the response received so far in `partial` (when given).
Result<HttpResponse> send(const HttpRequest& req, const TransportOptions& opts,
                          HttpResponse* partial = nullptr);

// "<status>: <body>" as Ollama reports registry errors: kNotFound for 404,
// kUnavailable for what may pass (5xx, 408, 429), kInvalidArgument otherwise.
Error status_error(const HttpResponse& res);

}  // namespace cria::registry
