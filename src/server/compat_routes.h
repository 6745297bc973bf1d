// The OpenAI- and Anthropic-compatible routes, over the same completion pipeline
// as /api/chat: /v1/chat/completions, /v1/completions, /v1/models,
// /v1/embeddings (openai_routes.cc); /v1/messages and /v1/messages/count_tokens
// (anthropic_routes.cc). Authorization and x-api-key headers are accepted and
// not checked, as Ollama does. Errors keep the one Status -> HTTP code mapping
// (http_status) and take each API's own body shape.
#pragma once

#include <memory>
#include <utility>

#include <httplib.h>

#include "server/app.h"
#include "server/pipeline.h"
#include "server/sse.h"

namespace cria::server {

void openai_routes(httplib::Server& s, App& app);
void anthropic_routes(httplib::Server& s, App& app);

// Runs the completion into an Output made by `make(SseWriter*)`: a null writer
// collects one reply (Out::reply), a writer streams server-sent events.
template <class Make>
void respond_compat(httplib::Response& res, bool stream, Prepared p, RunRequest run_req,
                    Make make) {
  if (!stream) {
    auto out = make(nullptr);
    run(p, run_req, *out);
    return out->reply(res);
  }
  auto shared = std::make_shared<Prepared>(std::move(p));
  auto req = std::make_shared<RunRequest>(std::move(run_req));
  stream_sse(res, [shared, req, make](SseWriter& w) {
    auto out = make(&w);
    run(*shared, *req, *out);
  });
}

}  // namespace cria::server
