// The HTTP boundary: the ONE mapping from a Status to an HTTP code, JSON replies,
// and NDJSON streaming with disconnect detection.
#pragma once

#include <functional>
#include <string>

#include <httplib.h>

#include "api/options.h"
#include "base/result.h"

namespace cria::server {

using api::Json;

// 400 invalid argument, 404 not found, 503 unavailable (queue full), 500 otherwise.
int http_status(Errc code);

void reply_json(httplib::Response& res, int status, const Json& body);
void reply_error(httplib::Response& res, const Error& error);
void reply_error(httplib::Response& res, int status, const std::string& message);

// The largest JSON request body accepted (a prompt of tens of megabytes).
inline constexpr size_t kMaxJsonBody = 64u << 20;

// Parses the body as a JSON object; a 400 error otherwise.
Result<Json> parse_body(const httplib::Request& req);

// Writes NDJSON lines to a client. write() returns false once the client is gone.
class LineWriter {
 public:
  explicit LineWriter(httplib::DataSink& sink) : sink_(sink) {}
  bool write(const Json& line);
  bool alive() const { return alive_; }

 private:
  httplib::DataSink& sink_;
  bool alive_ = true;
};

// Streams: `produce` writes lines until it returns; then the response ends.
void stream_ndjson(httplib::Response& res, std::function<void(LineWriter&)> produce);

}  // namespace cria::server
