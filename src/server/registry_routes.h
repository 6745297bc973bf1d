// POST /api/pull and POST /api/push: the registry client (registry/) behind
// Ollama's API, progress streamed as NDJSON status lines.
#pragma once

#include <httplib.h>

#include "server/app.h"

namespace cria::server {

void handle_pull(App& app, const httplib::Request& req, httplib::Response& res);
void handle_push(App& app, const httplib::Request& req, httplib::Response& res);

}  // namespace cria::server
