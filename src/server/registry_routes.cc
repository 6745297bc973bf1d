#include "server/registry_routes.h"

#include <memory>

#include "registry/registry.h"
#include "server/http.h"

namespace cria::server {

namespace {

using Transfer = Status (*)(store::Store&, std::string_view, const registry::RegistryOptions&,
                            const registry::ProgressFn&);

struct TransferRequest {
  std::string model;
  bool insecure = false;
  bool stream = true;
};

Result<TransferRequest> parse_transfer(const httplib::Request& req) {
  CRIA_ASSIGN_OR_RETURN(Json body, parse_body(req));
  TransferRequest t;
  auto text = [&](const char* key) -> std::string {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : "";
  };
  t.model = text("model");
  if (t.model.empty()) t.model = text("name");
  if (t.model.empty()) return make_error(Errc::kInvalidArgument, "model is required");
  if (auto it = body.find("insecure"); it != body.end() && it->is_boolean()) t.insecure = *it;
  if (auto it = body.find("stream"); it != body.end() && it->is_boolean()) t.stream = *it;
  CRIA_RETURN_IF_ERROR(store::Name::parse(t.model));
  return t;
}

registry::RegistryOptions registry_options(const App& app, bool insecure) {
  registry::RegistryOptions o;
  o.insecure = insecure;
  o.key_path = (app.config.home.empty() ? "." : app.config.home) + "/.ollama/id_ed25519";
  o.prune = !app.config.noprune;
  o.download.part_size = app.config.pull_part_size;
  o.upload.part_size = app.config.pull_part_size;
  return o;
}

// Ollama's ProgressResponse: digest, total and completed omitted when empty.
Json progress_json(const registry::Progress& p) {
  Json j = {{"status", p.status}};
  if (!p.digest.empty()) j["digest"] = p.digest;
  if (p.total > 0) j["total"] = p.total;
  if (p.completed > 0) j["completed"] = p.completed;
  return j;
}

Status push(store::Store& s, std::string_view name, const registry::RegistryOptions& o,
            const registry::ProgressFn& progress) {
  return registry::push_model(s, name, o, progress);
}

void handle_transfer(App& app, const httplib::Request& req, httplib::Response& res,
                     Transfer transfer) {
  auto t = parse_transfer(req);
  if (!t.ok()) return reply_error(res, t.error());
  auto options = registry_options(app, t->insecure);
  if (!t->stream) {
    Status st =
        transfer(app.store, t->model, options, [](const registry::Progress&) { return true; });
    if (!st.ok()) return reply_error(res, st.error());
    return reply_json(res, 200, Json{{"status", "success"}});
  }
  auto model = std::make_shared<std::string>(t->model);
  stream_ndjson(res, [&app, model, options, transfer](LineWriter& out) {
    Status st = transfer(app.store, *model, options, [&out](const registry::Progress& p) {
      return out.write(progress_json(p));
    });
    if (!st.ok()) out.write(Json{{"error", st.error().message}});
  });
}

}  // namespace

void handle_pull(App& app, const httplib::Request& req, httplib::Response& res) {
  handle_transfer(app, req, res, registry::pull_model);
}

void handle_push(App& app, const httplib::Request& req, httplib::Response& res) {
  handle_transfer(app, req, res, push);
}

}  // namespace cria::server
