// POST /api/generate and POST /api/chat.
#pragma once

#include <httplib.h>

#include "server/app.h"

namespace cria::server {

void handle_generate(App& app, const httplib::Request& req, httplib::Response& res);
void handle_chat(App& app, const httplib::Request& req, httplib::Response& res);

}  // namespace cria::server
