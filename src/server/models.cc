#include "server/models.h"
#include "server/http.h"

#include "api/types.h"
#include "server/model_info.h"
#include "server/prompt.h"
#include "store/modelfile.h"
#include "store/params.h"

namespace cria::server {

namespace {

Result<store::Name> name_field(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_string() || it->get<std::string>().empty())
    return make_error(Errc::kInvalidArgument, std::string(key) + " is required");
  return store::Name::parse(it->get<std::string>());
}

std::vector<std::string> capabilities(const ModelInfo& info, const store::Model& m) {
  if (!m.config.capabilities.empty()) return m.config.capabilities;
  if (info.has_embeddings_only) return {"embedding"};
  std::vector<std::string> caps = {"completion"};
  std::string tmpl = m.template_text.value_or(info.chat_template);
  if (tmpl.find(".Tools") != std::string::npos || tmpl.find("tools") != std::string::npos)
    caps.push_back("tools");
  if (m.template_text && m.template_text->find(".Suffix") != std::string::npos)
    caps.push_back("insert");
  return caps;
}

}  // namespace

Json model_details(const store::ModelConfig& c, const std::string& parent_model) {
  Json families = c.model_families.empty() && !c.model_family.empty()
                      ? Json::array({c.model_family})
                      : Json(c.model_families);
  return Json{{"parent_model", parent_model},   {"format", c.model_format},
              {"family", c.model_family},       {"families", families},
              {"parameter_size", c.model_type}, {"quantization_level", c.file_type}};
}

void handle_tags(App& app, const httplib::Request&, httplib::Response& res) {
  auto list = app.store.list();
  if (!list.ok()) return reply_error(res, list.error());
  Json models = Json::array();
  for (const auto& e : *list) {
    std::string name = e.name.display_shortest();
    models.push_back(Json{{"name", name},
                          {"model", name},
                          {"modified_at", api::format_time(e.modified)},
                          {"size", e.size},
                          {"digest", e.digest},
                          {"details", model_details(e.config, e.parent_model)}});
  }
  reply_json(res, 200, Json{{"models", models}});
}

void handle_show(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto name = api::request_model(*body);
  if (!name.ok()) return reply_error(res, name.error());
  auto m = find_model(app, *name);
  if (!m.ok()) return reply_error(res, m.error());
  bool verbose = body->value("verbose", false);
  ModelInfo info;
  if (!m->model_path.empty()) {
    auto read = read_model_info(m->model_path, verbose);
    if (!read.ok()) return reply_error(res, read.error());
    info = std::move(read).value();
  }
  std::string license;
  for (const auto& l : m->licenses) license += (license.empty() ? "" : "\n") + l;
  Json out = Json::object();
  if (!license.empty()) out["license"] = license;
  out["modelfile"] = store::render_modelfile(*m);
  std::string params = store::render_parameters(m->params);
  if (!params.empty()) out["parameters"] = params;
  if (m->template_text) {
    out["template"] = *m->template_text;
  } else if (!m->model_path.empty()) {
    auto mt = model_template(*m);
    if (mt.ok()) out["template"] = mt->tmpl.source();
  }
  if (!m->system.empty()) out["system"] = m->system;
  out["details"] = model_details(m->config, m->parent_model);
  if (!m->messages.empty()) out["messages"] = m->messages;
  out["model_info"] = info.info;
  if (verbose) out["tensors"] = info.tensors;
  out["capabilities"] = capabilities(info, *m);
  out["modified_at"] = api::format_time(m->modified);
  reply_json(res, 200, out);
}

void handle_copy(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto src = name_field(*body, "source");
  if (!src.ok()) return reply_error(res, src.error());
  auto dst = name_field(*body, "destination");
  if (!dst.ok()) return reply_error(res, dst.error());
  Status st = app.store.copy(*src, *dst);
  if (!st.ok()) return reply_error(res, st.error());
  res.status = 200;
}

void handle_delete(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto name = api::request_model(*body);
  if (!name.ok()) return reply_error(res, name.error());
  auto parsed = store::Name::parse(*name);
  if (!parsed.ok()) return reply_error(res, parsed.error());
  if (!app.store.read_manifest(*parsed).ok())
    return reply_error(res, 404, "model '" + *name + "' not found");
  app.sched.unload(store::Name(*parsed).display_shortest());
  Status st = app.store.remove(*parsed, !app.config.noprune);
  if (!st.ok()) return reply_error(res, st.error());
  res.status = 200;
}

void handle_ps(App& app, const httplib::Request&, httplib::Response& res) {
  Json models = Json::array();
  for (const auto& r : app.sched.running()) {
    Json details = Json::object();
    auto m = find_model(app, r.name);
    if (m.ok()) details = model_details(m->config, m->parent_model);
    auto expires = r.forever ? std::chrono::system_clock::time_point(
                                   std::chrono::hours(24 * 365 * 2318))  // year 2318, as Ollama
                             : r.expires_at;
    models.push_back(Json{{"name", r.name},
                          {"model", r.name},
                          {"size", r.size},
                          {"digest", r.digest},
                          {"details", details},
                          {"expires_at", api::format_time(expires)},
                          {"size_vram", 0},
                          {"context_length", r.context_length}});
  }
  reply_json(res, 200, Json{{"models", models}});
}

}  // namespace cria::server
