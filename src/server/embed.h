// Embeddings: POST /api/embed, the older POST /api/embeddings, and the step that
// /v1/embeddings shares with them: resolve an embedding model, take a runner, embed every
// input in batched forward passes, then cut to `dimensions` and L2-normalise.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "base/duration.h"
#include "server/app.h"

namespace cria::server {

struct EmbedRequest {
  std::string model;
  std::vector<std::string> inputs;
  bool truncate = true;    // cut inputs longer than the context instead of failing
  int64_t dimensions = 0;  // keep the first n values (then normalise); 0: all
  bool normalize = true;   // false: the pooled vectors as they are (/api/embeddings)
  std::optional<Nanos> keep_alive;
  api::Json options = api::Json::object();
};

struct EmbedResult {
  std::vector<std::vector<float>> embeddings;
  int64_t prompt_eval_count = 0;
  Nanos total{0};
  Nanos load{0};
};

Result<EmbedResult> run_embed(App& app, const EmbedRequest& r);

void handle_embed(App& app, const httplib::Request& req, httplib::Response& res);
void handle_embeddings(App& app, const httplib::Request& req, httplib::Response& res);

}  // namespace cria::server
