#include "server/sse.h"

#include <memory>

namespace cria::server {

namespace {

std::string dump(const api::Json& j) {
  return j.dump(-1, ' ', false, api::Json::error_handler_t::replace);
}

}  // namespace

bool SseWriter::data(const api::Json& payload) {
  return write("data: " + dump(payload) + "\n\n");
}

bool SseWriter::event(std::string_view name, const api::Json& payload) {
  return write("event: " + std::string(name) + "\ndata: " + dump(payload) + "\n\n");
}

bool SseWriter::done() {
  return write("data: [DONE]\n\n");
}

bool SseWriter::write(const std::string& text) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!alive_) return false;
  alive_ = sink_.write(text.data(), text.size());
  return alive_;
}

void stream_sse(httplib::Response& res, std::function<void(SseWriter&)> produce) {
  auto fn = std::make_shared<std::function<void(SseWriter&)>>(std::move(produce));
  res.status = 200;
  res.set_header("Cache-Control", "no-cache");
  res.set_chunked_content_provider("text/event-stream", [fn](size_t, httplib::DataSink& sink) {
    SseWriter w(sink);
    (*fn)(w);
    if (w.alive()) sink.done();
    return w.alive();
  });
}

}  // namespace cria::server
