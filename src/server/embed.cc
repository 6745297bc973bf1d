#include "server/embed.h"

#include <chrono>

#include "api/embed.h"
#include "api/types.h"
#include "server/http.h"
#include "server/pipeline.h"

namespace cria::server {

namespace {

using Clock = std::chrono::steady_clock;

// /api/embed's input: a string (none when empty) or an array of strings.
Status parse_inputs(const Json& input, std::vector<std::string>& out) {
  if (input.is_null()) return {};
  if (input.is_string()) {
    if (!input.get<std::string>().empty()) out.push_back(input.get<std::string>());
    return {};
  }
  if (input.is_array()) {
    for (const Json& s : input) {
      if (!s.is_string()) {
        return make_error(Errc::kInvalidArgument, "invalid input type: expected strings");
      }
      out.push_back(s.get<std::string>());
    }
    return {};
  }
  return make_error(Errc::kInvalidArgument, "invalid input type: expected a string or strings");
}

Result<EmbedRequest> parse_common(const Json& body) {
  EmbedRequest r;
  CRIA_ASSIGN_OR_RETURN(r.model, api::request_model(body));
  if (auto it = body.find("keep_alive"); it != body.end()) {
    CRIA_ASSIGN_OR_RETURN(r.keep_alive, api::parse_keep_alive(*it));
  }
  if (auto it = body.find("options"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return make_error(Errc::kInvalidArgument, "options must be an object");
    r.options = *it;
  }
  return r;
}

Result<EmbedRequest> parse_embed(const Json& body) {
  CRIA_ASSIGN_OR_RETURN(EmbedRequest r, parse_common(body));
  if (auto it = body.find("input"); it != body.end()) {
    CRIA_RETURN_IF_ERROR(parse_inputs(*it, r.inputs));
  }
  if (auto it = body.find("truncate"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return make_error(Errc::kInvalidArgument, "truncate must be a boolean");
    r.truncate = it->get<bool>();
  }
  if (auto it = body.find("dimensions"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) {
      return make_error(Errc::kInvalidArgument, "dimensions must be a positive integer");
    }
    r.dimensions = it->get<int64_t>();
  }
  return r;
}

}  // namespace

Result<EmbedResult> run_embed(App& app, const EmbedRequest& r) {
  CRIA_ASSIGN_OR_RETURN(Prepared p, prepare(app, r.model, r.options, Use::kEmbed));
  CRIA_RETURN_IF_ERROR(acquire(app, p, r.keep_alive));
  EmbedResult out;
  out.load = p.lease->load_duration();
  if (!r.inputs.empty()) {
    CRIA_ASSIGN_OR_RETURN(
        Json j, p.lease->runner().embed(Json{{"inputs", r.inputs}, {"truncate", r.truncate}}));
    out.embeddings = j.value("embeddings", std::vector<std::vector<float>>{});
    out.prompt_eval_count = j.value("prompt_eval_count", int64_t{0});
    if (out.embeddings.size() != r.inputs.size()) {
      return make_error(Errc::kInternal, "the runner returned a wrong number of embeddings");
    }
  }
  for (auto& v : out.embeddings) {
    CRIA_RETURN_IF_ERROR(r.normalize ? api::finish_embedding(v, r.dimensions)
                                     : api::check_embedding(v));
  }
  out.total = Clock::now() - p.started;
  return out;
}

void handle_embed(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto r = parse_embed(*body);
  if (!r.ok()) return reply_error(res, r.error());
  auto out = run_embed(app, *r);
  if (!out.ok()) return reply_error(res, out.error());
  reply_json(res, 200,
             Json{{"model", r->model},
                  {"embeddings", out->embeddings},
                  {"total_duration", out->total.count()},
                  {"load_duration", out->load.count()},
                  {"prompt_eval_count", out->prompt_eval_count}});
}

// The older endpoint: one prompt, the pooled vector as the model gives it.
void handle_embeddings(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto r = parse_common(*body);
  if (!r.ok()) return reply_error(res, r.error());
  r->normalize = false;
  if (auto it = body->find("prompt"); it != body->end() && !it->is_null()) {
    if (!it->is_string()) return reply_error(res, 400, "prompt must be a string");
    if (!it->get<std::string>().empty()) r->inputs.push_back(it->get<std::string>());
  }
  auto out = run_embed(app, *r);
  if (!out.ok()) return reply_error(res, out.error());
  Json embedding = out->embeddings.empty() ? Json::array() : Json(out->embeddings[0]);
  reply_json(res, 200, Json{{"embedding", embedding}});
}

}  // namespace cria::server
