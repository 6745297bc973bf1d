#include "server/generate.h"

#include "api/types.h"
#include "server/completion.h"
#include "server/prompt.h"

namespace cria::server {

namespace {

// Everything both routes do before rendering: parse, resolve, options, lease.
struct Prepared {
  store::Model model;
  api::Options options;
  std::unique_ptr<sched::Lease> lease;
};

Result<Prepared> prepare(App& app, const api::CommonRequest& r) {
  Prepared p;
  CRIA_ASSIGN_OR_RETURN(p.model, find_model(app, r.model));
  if (p.model.model_path.empty())
    return make_error(Errc::kInvalidArgument,
                      "\"" + r.model + "\" does not support generate: it has no model file");
  CRIA_ASSIGN_OR_RETURN(p.options, request_options(app, p.model, r.options));
  if (p.options.stop.empty() && !p.model.template_text) {
    // A built-in template brings its end-of-turn strings, as Ollama's params layer would.
    CRIA_ASSIGN_OR_RETURN(ModelTemplate mt, model_template(p.model));
    p.options.stop = mt.stop;
  }
  return p;
}

Status acquire(App& app, Prepared& p, const api::CommonRequest& r) {
  CRIA_ASSIGN_OR_RETURN(p.lease, app.sched.acquire(load_spec(p.model, p.model.short_name, p.options,
                                                             app.config.num_parallel),
                                                   r.keep_alive));
  return {};
}

// An empty prompt loads the model, or with keep_alive 0 unloads it.
void load_or_unload(App& app, Prepared& p, const api::CommonRequest& r, Shape shape,
                    httplib::Response& res) {
  if (r.keep_alive && r.keep_alive->count() == 0) {
    app.sched.unload(p.model.short_name);
    return reply_json(res, 200, load_reply(shape, r.model, "unload"));
  }
  if (Status st = acquire(app, p, r); !st.ok()) return reply_error(res, st.error());
  Json reply = load_reply(shape, r.model, "load");
  if (!r.stream) return reply_json(res, 200, reply);
  stream_ndjson(res, [reply](LineWriter& out) { out.write(reply); });
}

Json runner_request(const std::string& prompt, const std::vector<int32_t>& context,
                    const api::Options& options) {
  Json opts = api::options_to_json(options);
  opts["num_predict"] = options.num_predict;
  return Json{{"prompt", prompt}, {"context", context}, {"options", opts}};
}

void start(httplib::Response& res, Shape shape, const api::CommonRequest& r, Prepared& p,
           Json request, std::chrono::steady_clock::time_point t0) {
  auto job = std::make_unique<CompletionJob>();
  job->shape = shape;
  job->model = r.model;
  job->stream = r.stream;
  job->runner_request = std::move(request);
  job->lease = std::move(p.lease);
  job->started = t0;
  respond_completion(res, std::move(job));
}

}  // namespace

void handle_generate(App& app, const httplib::Request& req, httplib::Response& res) {
  auto t0 = std::chrono::steady_clock::now();
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto r = api::parse_generate(*body);
  if (!r.ok()) return reply_error(res, r.error());
  auto p = prepare(app, *r);
  if (!p.ok()) return reply_error(res, p.error());
  if (r->prompt.empty() && r->images.empty() && r->suffix.empty())
    return load_or_unload(app, *p, *r, Shape::kGenerate, res);
  std::string prompt = r->prompt;
  if (!r->raw) {
    auto rendered = render_generate(p->model, *r);
    if (!rendered.ok()) return reply_error(res, rendered.error());
    prompt = std::move(rendered).value();
  }
  if (Status st = acquire(app, *p, *r); !st.ok()) return reply_error(res, st.error());
  start(res, Shape::kGenerate, *r, *p, runner_request(prompt, r->context, p->options), t0);
}

void handle_chat(App& app, const httplib::Request& req, httplib::Response& res) {
  auto t0 = std::chrono::steady_clock::now();
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto r = api::parse_chat(*body);
  if (!r.ok()) return reply_error(res, r.error());
  auto p = prepare(app, *r);
  if (!p.ok()) return reply_error(res, p.error());
  if (r->messages.empty()) return load_or_unload(app, *p, *r, Shape::kChat, res);
  if (Status st = acquire(app, *p, *r); !st.ok()) return reply_error(res, st.error());
  sched::Runner& runner = p->lease->runner();
  auto count = [&runner](const std::string& text) -> Result<int64_t> {
    CRIA_ASSIGN_OR_RETURN(auto ids, runner.tokenize(text, true));
    return static_cast<int64_t>(ids.size());
  };
  auto prompt = render_chat(p->model, p->options, *r, count);
  if (!prompt.ok()) return reply_error(res, prompt.error());
  start(res, Shape::kChat, *r, *p, runner_request(*prompt, {}, p->options), t0);
}

}  // namespace cria::server
