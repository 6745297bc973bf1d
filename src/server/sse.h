// Server-sent events for the OpenAI and Anthropic streaming APIs, over httplib's
// chunked content provider (as stream_ndjson), with disconnect detection.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include <httplib.h>

#include "api/options.h"

namespace cria::server {

// Writes events to a client. Every write returns false once the client is gone. Writes
// from several threads (the choices of one answer) are serialised.
class SseWriter {
 public:
  explicit SseWriter(httplib::DataSink& sink) : sink_(sink) {}
  // "data: {...}\n\n" (OpenAI).
  bool data(const api::Json& payload);
  // "event: NAME\ndata: {...}\n\n" (Anthropic).
  bool event(std::string_view name, const api::Json& payload);
  // "data: [DONE]\n\n", the end of an OpenAI stream.
  bool done();
  bool alive() const { return alive_; }

 private:
  bool write(const std::string& text);

  httplib::DataSink& sink_;
  std::mutex mu_;
  std::atomic<bool> alive_ = true;
};

// Streams text/event-stream: `produce` writes events until it returns; then the response ends.
void stream_sse(httplib::Response& res, std::function<void(SseWriter&)> produce);

}  // namespace cria::server
