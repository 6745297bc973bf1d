// POST /api/generate and POST /api/chat: Ollama's native wire format over the pipeline.
#include "server/generate.h"

#include <optional>

#include "api/types.h"
#include "server/http.h"
#include "server/pipeline.h"
#include "server/prompt.h"

namespace cria::server {

namespace {

enum class Shape { kGenerate, kChat };

// A line's text: the chat's message (with thinking and tool_calls when there are some), or
// /api/generate's response (and thinking).
Json base_line(Shape shape, const std::string& model, const Delta& d) {
  Json j = {{"model", model}, {"created_at", api::format_time(std::chrono::system_clock::now())}};
  if (shape == Shape::kGenerate) {
    j["response"] = d.content;
    if (!d.thinking.empty()) j["thinking"] = d.thinking;
  } else {
    api::Message m;
    m.role = "assistant";
    m.content = d.content;
    m.thinking = d.thinking;
    m.tool_calls = d.tool_calls;
    j["message"] = api::message_to_json(m);
  }
  return j;
}

bool empty(const Delta& d) {
  return d.content.empty() && d.thinking.empty() && d.tool_calls.empty() && d.logprobs.is_null();
}

void append_logprobs(Json& all, const Json& more) {
  if (more.is_null()) return;
  if (all.is_null()) all = Json::array();
  all.insert(all.end(), more.begin(), more.end());
}

// Native NDJSON lines when streaming; one JSON object (or an error code) otherwise.
class NativeOutput final : public Output {
 public:
  NativeOutput(Shape shape, std::string model, LineWriter* stream)
      : shape_(shape), model_(std::move(model)), stream_(stream) {}

  bool delta(const Delta& d) override {
    if (!stream_) {
      all_.content += d.content;
      all_.thinking += d.thinking;
      all_.tool_calls.insert(all_.tool_calls.end(), d.tool_calls.begin(), d.tool_calls.end());
      append_logprobs(all_.logprobs, d.logprobs);
      return true;
    }
    if (empty(d)) return stream_->alive();
    Json line = base_line(shape_, model_, d);
    if (!d.logprobs.is_null()) line["logprobs"] = d.logprobs;
    line["done"] = false;
    return stream_->write(line);
  }

  void done(const Final& f) override {
    Json j = base_line(shape_, model_, stream_ ? Delta{} : all_);
    j["done"] = true;
    j["done_reason"] = f.done_reason;
    if (shape_ == Shape::kGenerate) j["context"] = f.context;
    if (!stream_ && !all_.logprobs.is_null()) j["logprobs"] = all_.logprobs;
    api::add_metrics(j, f.metrics);
    if (stream_) {
      stream_->write(j);
    } else {
      reply_ = std::move(j);
    }
  }

  void error(const Error& e) override {
    if (stream_) {
      stream_->write(Json{{"error", e.message}});
    } else {
      error_ = e;
    }
  }

  void reply(httplib::Response& res) const {
    if (error_) return reply_error(res, *error_);
    reply_json(res, 200, reply_);
  }

 private:
  Shape shape_;
  std::string model_;
  LineWriter* stream_;
  Delta all_;  // the whole answer, when not streaming
  Json reply_;
  std::optional<Error> error_;
};

Json load_reply(Shape shape, const std::string& model, const std::string& reason) {
  Json j = base_line(shape, model, Delta{});
  j["done_reason"] = reason;
  j["done"] = true;
  return j;
}

// An empty prompt loads the model, or with keep_alive 0 unloads it.
void load_or_unload(App& app, Prepared& p, const api::CommonRequest& r, Shape shape,
                    httplib::Response& res) {
  if (r.keep_alive && r.keep_alive->count() == 0) {
    app.sched.unload(p.model.short_name);
    return reply_json(res, 200, load_reply(shape, r.model, "unload"));
  }
  if (Status st = acquire(app, p, r.keep_alive); !st.ok()) return reply_error(res, st.error());
  Json reply = load_reply(shape, r.model, "load");
  if (!r.stream) return reply_json(res, 200, reply);
  stream_ndjson(res, [reply](LineWriter& out) { out.write(reply); });
}

void respond(httplib::Response& res, Shape shape, bool stream, Prepared p, RunRequest run_req) {
  if (!stream) {
    NativeOutput out(shape, p.model_name, nullptr);
    run(p, run_req, out);
    return out.reply(res);
  }
  auto shared = std::make_shared<Prepared>(std::move(p));
  auto req = std::make_shared<RunRequest>(std::move(run_req));
  stream_ndjson(res, [shared, req, shape](LineWriter& w) {
    NativeOutput out(shape, shared->model_name, &w);
    run(*shared, *req, out);
  });
}

}  // namespace

void handle_generate(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto r = api::parse_generate(*body);
  if (!r.ok()) return reply_error(res, r.error());
  auto p = prepare(app, r->model, r->options, Use::kGenerate);
  if (!p.ok()) return reply_error(res, p.error());
  if (r->prompt.empty() && r->images.empty() && r->suffix.empty())
    return load_or_unload(app, *p, *r, Shape::kGenerate, res);
  RunRequest run_req;
  run_req.prompt = r->prompt;
  run_req.context = r->context;
  run_req.format = r->format;
  run_req.think = r->think;
  run_req.top_logprobs = r->top_logprobs;
  if (!r->raw) {
    auto rendered = render_generate(p->model, *r);
    if (!rendered.ok()) return reply_error(res, rendered.error());
    run_req.prompt = std::move(rendered).value();
  }
  if (Status st = acquire(app, *p, r->keep_alive); !st.ok()) return reply_error(res, st.error());
  respond(res, Shape::kGenerate, r->stream, std::move(p).value(), std::move(run_req));
}

void handle_chat(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_error(res, body.error());
  auto r = api::parse_chat(*body);
  if (!r.ok()) return reply_error(res, r.error());
  auto p = prepare(app, r->model, r->options, Use::kChat);
  if (!p.ok()) return reply_error(res, p.error());
  if (r->messages.empty()) return load_or_unload(app, *p, *r, Shape::kChat, res);
  auto run_req = ready_chat(app, *p, *r, r->keep_alive);
  if (!run_req.ok()) return reply_error(res, run_req.error());
  respond(res, Shape::kChat, r->stream, std::move(p).value(), std::move(run_req).value());
}

}  // namespace cria::server
