#include "server/http.h"

#include <memory>

#include <fmt/core.h>

namespace cria::server {

int http_status(Errc code) {
  switch (code) {
    case Errc::kInvalidArgument:
      return 400;
    case Errc::kNotFound:
      return 404;
    case Errc::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void reply_json(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, Json::error_handler_t::replace),
                  "application/json; charset=utf-8");
}

void reply_error(httplib::Response& res, const Error& error) {
  reply_error(res, http_status(error.code), error.message);
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply_json(res, status, Json{{"error", message}});
}

Result<Json> parse_body(const httplib::Request& req) {
  if (req.body.empty()) return make_error(Errc::kInvalidArgument, "missing request body");
  if (req.body.size() > kMaxJsonBody) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("the request body is {} bytes; the limit is {} bytes",
                                  req.body.size(), kMaxJsonBody));
  }
  Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded())
    return make_error(Errc::kInvalidArgument, "invalid JSON in the request body");
  if (!body.is_object())
    return make_error(Errc::kInvalidArgument, "the request body must be a JSON object");
  return body;
}

bool LineWriter::write(const Json& line) {
  if (!alive_) return false;
  std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  alive_ = sink_.write(text.data(), text.size());
  return alive_;
}

void stream_ndjson(httplib::Response& res, std::function<void(LineWriter&)> produce) {
  auto fn = std::make_shared<std::function<void(LineWriter&)>>(std::move(produce));
  res.status = 200;
  res.set_chunked_content_provider("application/x-ndjson", [fn](size_t, httplib::DataSink& sink) {
    LineWriter w(sink);
    (*fn)(w);
    if (w.alive()) sink.done();
    return w.alive();
  });
}

}  // namespace cria::server
