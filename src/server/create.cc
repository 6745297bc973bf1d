// HEAD/POST /api/blobs/:digest and POST /api/create.
#include <mutex>

#include "server/http.h"
#include "server/models.h"
#include "server/prompt.h"
#include "server/quantize_child.h"
#include "store/create.h"

namespace cria::server {

namespace {

Result<store::Digest> path_digest(const httplib::Request& req) {
  std::string d = req.matches.size() > 1 ? req.matches[1].str() : "";
  auto digest = store::Digest::parse(d);
  if (!digest.ok()) return make_error(Errc::kInvalidArgument, "invalid digest \"" + d + "\"");
  return digest;
}

Json progress_json(const store::CreateProgress& p) {
  Json j = {{"status", p.status}};
  if (!p.digest.empty()) j["digest"] = p.digest;
  if (p.total > 0) {
    j["total"] = p.total;
    j["completed"] = p.completed;
  }
  return j;
}

store::CreateOptions create_options(App& app) {
  store::CreateOptions o;
  o.prune_replaced = !app.config.noprune;
  o.detect_template = detect_template;
  o.quantize = [&app](const std::string& blob, const std::string& type,
                      const store::ProgressFn& progress) {
    return quantize_blob(app, blob, type, progress);
  };
  return o;
}

}  // namespace

void handle_blob_head(App& app, const httplib::Request& req, httplib::Response& res) {
  auto d = path_digest(req);
  if (!d.ok()) return reply_error(res, d.error());
  res.status = app.store.has_blob(*d) ? 200 : 404;
}

void handle_blob_post(App& app, const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader& reader) {
  auto d = path_digest(req);
  if (!d.ok()) return reply_error(res, d.error());
  if (app.store.has_blob(*d)) {
    reader([](const char*, size_t) { return true; });  // drain the upload
    res.status = 200;
    return;
  }
  Status st = app.store.write_blob(*d, [&](FileSink& sink) -> Status {
    Status write_error;
    bool ok = reader([&](const char* data, size_t n) {
      write_error = sink.write({reinterpret_cast<const uint8_t*>(data), n});
      return write_error.ok();
    });
    if (!write_error.ok()) return write_error;
    if (!ok) return make_error(Errc::kIo, "the upload was interrupted");
    return {};
  });
  if (!st.ok()) return reply_error(res, st.error());
  res.status = 201;
}

void handle_create(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto parsed = store::CreateRequest::from_json(store::Json(*body));
  if (!parsed.ok()) return reply_error(res, parsed.error());
  auto name = store::Name::parse(parsed->model);
  if (!name.ok()) return reply_error(res, name.error());
  bool stream = body->value("stream", true);
  auto request = std::make_shared<store::CreateRequest>(std::move(parsed).value());
  if (!stream) {
    Status st = store::create_model(app.store, *request, create_options(app));
    if (!st.ok()) return reply_error(res, st.error());
    return reply_json(res, 200, Json{{"status", "success"}});
  }
  stream_ndjson(res, [&app, request](LineWriter& out) {
    store::CreateOptions o = create_options(app);
    o.progress = [&out](const store::CreateProgress& p) { out.write(progress_json(p)); };
    Status st = store::create_model(app.store, *request, o);
    if (!st.ok()) out.write(Json{{"error", st.error().message}});
  });
}

}  // namespace cria::server
