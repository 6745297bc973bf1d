// Routes on the model store: /api/tags, /api/show, /api/copy, /api/delete,
// HEAD/POST /api/blobs/:digest, /api/create, and /api/ps for loaded models.
#pragma once

#include <httplib.h>

#include "server/app.h"

namespace cria::server {

void handle_tags(App& app, const httplib::Request& req, httplib::Response& res);
void handle_show(App& app, const httplib::Request& req, httplib::Response& res);
void handle_copy(App& app, const httplib::Request& req, httplib::Response& res);
void handle_delete(App& app, const httplib::Request& req, httplib::Response& res);
void handle_blob_head(App& app, const httplib::Request& req, httplib::Response& res);
void handle_blob_post(App& app, const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader);
void handle_create(App& app, const httplib::Request& req, httplib::Response& res);
void handle_ps(App& app, const httplib::Request& req, httplib::Response& res);

// The "details" object of tags, show and ps.
Json model_details(const store::ModelConfig& config, const std::string& parent_model);

}  // namespace cria::server
