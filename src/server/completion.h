// Runs one completion on a leased runner and turns the runner's stream into
// Ollama's /api/generate or /api/chat responses, streamed or whole.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include <httplib.h>

#include "sched/scheduler.h"
#include "server/http.h"

namespace cria::server {

enum class Shape { kGenerate, kChat };

struct CompletionJob {
  Shape shape = Shape::kGenerate;
  std::string model;  // the name the client used
  bool stream = true;
  Json runner_request;  // {"prompt","context","options"}
  std::unique_ptr<sched::Lease> lease;
  std::chrono::steady_clock::time_point started;
};

// Replies to the client: NDJSON when job.stream, otherwise one JSON object.
void respond_completion(httplib::Response& res, std::unique_ptr<CompletionJob> job);

// The reply to an empty prompt: the model is loaded ("load") or unloaded ("unload").
Json load_reply(Shape shape, const std::string& model, const std::string& reason);

}  // namespace cria::server
