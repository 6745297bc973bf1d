// OpenAI-compatible routes: POST /v1/chat/completions, POST /v1/completions,
// GET /v1/models, GET /v1/models/{id}, POST /v1/embeddings (server/embed.h). Each handler: parse ->
// validate (prepare) -> schedule (acquire, render) -> stream (an Output writing OpenAI's objects).
#include <optional>

#include "api/compat.h"
#include "api/openai.h"
#include "base/base64.h"
#include "server/compat_routes.h"
#include "server/embed.h"
#include "server/http.h"
#include "server/prompt.h"

namespace cria::server {

namespace {

namespace oai = api::openai;

void reply_oai_error(httplib::Response& res, int status, const std::string& message) {
  reply_json(res, status, oai::error_body(status, message));
}

void reply_oai_error(httplib::Response& res, const Error& e) {
  reply_oai_error(res, http_status(e.code), e.message);
}

oai::Usage usage_of(const Final& f) {
  return {f.metrics.prompt_eval_count, f.metrics.eval_count};
}

int64_t unix_seconds(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

// chat.completion (one reply) or chat.completion.chunk events of one choice. With
// `ends_stream` false (one of n choices) it leaves the usage chunk and [DONE] to the caller.
class ChatOutput final : public Output {
 public:
  ChatOutput(oai::Head head, SseWriter* stream, bool include_usage, bool ends_stream = true)
      : head_(std::move(head)),
        stream_(stream),
        include_usage_(include_usage),
        ends_stream_(ends_stream) {}

  bool delta(const Delta& d) override {
    if (!stream_) {
      answer_.content += d.content;
      answer_.thinking += d.thinking;
      answer_.tool_calls.insert(answer_.tool_calls.end(), d.tool_calls.begin(), d.tool_calls.end());
      if (!d.logprobs.is_null()) {
        if (logprobs_.is_null()) logprobs_ = Json::array();
        logprobs_.insert(logprobs_.end(), d.logprobs.begin(), d.logprobs.end());
      }
      return true;
    }
    // Reasoning and content of one delta go in two chunks, as Ollama sends them.
    if (!d.thinking.empty()) {
      api::Message reasoning;
      reasoning.thinking = d.thinking;
      if (!send(reasoning)) return false;
    }
    if (d.content.empty() && d.tool_calls.empty() && d.logprobs.is_null()) {
      return stream_->alive();
    }
    api::Message piece;
    piece.content = d.content;
    piece.tool_calls = d.tool_calls;
    return send(piece, oai::chat_logprobs(d.logprobs));
  }

  void done(const Final& f) override {
    usage_ = usage_of(f);
    std::string reason =
        oai::finish_reason(f.done_reason, tools_sent_ > 0 || !answer_.tool_calls.empty());
    if (!stream_) {
      reply_ = oai::chat_completion(head_, answer_, reason, usage_, oai::chat_logprobs(logprobs_));
      return;
    }
    if (!role_sent_ && !send(api::Message{})) return;
    if (!stream_->data(oai::finish_chunk(head_, reason)) || !ends_stream_) return;
    if (include_usage_ &&
        !stream_->data(oai::usage_chunk(head_, "chat.completion.chunk", usage_of(f))))
      return;
    stream_->done();
  }

  void error(const Error& e) override {
    if (stream_) stream_->data(oai::error_body(http_status(e.code), e.message));
    error_ = e;
  }

  void reply(httplib::Response& res) const {
    if (error_) return reply_oai_error(res, *error_);
    reply_json(res, 200, reply_);
  }

  const std::optional<Error>& failed() const { return error_; }
  const Json& reply_json_body() const { return reply_; }
  const oai::Usage& usage() const { return usage_; }

 private:
  bool send(const api::Message& piece, const Json& logprobs = nullptr) {
    bool ok = stream_->data(oai::chat_chunk(head_, piece, !role_sent_, tools_sent_, logprobs));
    role_sent_ = true;
    tools_sent_ += static_cast<int64_t>(piece.tool_calls.size());
    return ok;
  }

  oai::Head head_;
  SseWriter* stream_;
  bool include_usage_;
  bool ends_stream_;
  oai::Usage usage_;
  api::Message answer_;
  Json logprobs_;  // of the whole answer, when not streaming
  bool role_sent_ = false;
  int64_t tools_sent_ = 0;
  Json reply_;
  std::optional<Error> error_;
};

// text_completion objects, one reply or streamed pieces.
class CompletionOutput final : public Output {
 public:
  CompletionOutput(oai::Head head, SseWriter* stream, bool include_usage)
      : head_(std::move(head)), stream_(stream), include_usage_(include_usage) {}

  bool delta(const Delta& d) override {
    if (!stream_) {
      text_ += d.content;
      if (!d.logprobs.is_null()) {
        if (logprobs_.is_null()) logprobs_ = Json::array();
        logprobs_.insert(logprobs_.end(), d.logprobs.begin(), d.logprobs.end());
      }
      return true;
    }
    if (d.content.empty() && d.logprobs.is_null()) return stream_->alive();
    return stream_->data(oai::completion_chunk(head_, d.content, nullptr,
                                               oai::completion_logprobs(d.logprobs, offset_)));
  }

  void done(const Final& f) override {
    std::string reason = oai::finish_reason(f.done_reason, false);
    if (!stream_) {
      int64_t offset = 0;
      reply_ = oai::text_completion(head_, text_, reason, usage_of(f),
                                    oai::completion_logprobs(logprobs_, offset));
      return;
    }
    if (!stream_->data(oai::completion_chunk(head_, "", reason))) return;
    if (include_usage_ && !stream_->data(oai::usage_chunk(head_, "text_completion", usage_of(f))))
      return;
    stream_->done();
  }

  void error(const Error& e) override {
    if (stream_) {
      stream_->data(oai::error_body(http_status(e.code), e.message));
    } else {
      error_ = e;
    }
  }

  void reply(httplib::Response& res) const {
    if (error_) return reply_oai_error(res, *error_);
    reply_json(res, 200, reply_);
  }

 private:
  oai::Head head_;
  SseWriter* stream_;
  bool include_usage_;
  std::string text_;
  Json logprobs_;       // of the whole answer, when not streaming
  int64_t offset_ = 0;  // text_offset of the next streamed token
  Json reply_;
  std::optional<Error> error_;
};

// n > 1: the choices run at once (run_choices), each a ChatOutput with its own index. One
// reply merges their choices; a stream interleaves their chunks, then one usage chunk
// (completion tokens of all choices) and [DONE].
void respond_choices(App& app, httplib::Response& res, int n, bool stream, bool include_usage,
                     const oai::Head& head, Prepared p, RunRequest run_req) {
  auto answer = [=, &app](SseWriter* w, Prepared& first, const RunRequest& r) {
    std::vector<std::unique_ptr<ChatOutput>> outs;
    std::vector<Output*> raw;
    for (int i = 0; i < n; ++i) {
      oai::Head h = head;
      h.choice = i;
      outs.push_back(std::make_unique<ChatOutput>(h, w, include_usage, false));
      raw.push_back(outs.back().get());
    }
    run_choices(app, first, r, raw);
    return outs;
  };
  if (!stream) {
    auto outs = answer(nullptr, p, run_req);
    for (const auto& o : outs)
      if (o->failed()) return o->reply(res);
    Json reply = outs[0]->reply_json_body();
    oai::Usage usage = outs[0]->usage();
    for (size_t i = 1; i < outs.size(); ++i) {
      reply["choices"].push_back(outs[i]->reply_json_body()["choices"][0]);
      usage.completion_tokens += outs[i]->usage().completion_tokens;
    }
    reply["usage"] = Json{{"prompt_tokens", usage.prompt_tokens},
                          {"completion_tokens", usage.completion_tokens},
                          {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
    return reply_json(res, 200, reply);
  }
  auto shared = std::make_shared<Prepared>(std::move(p));
  auto req = std::make_shared<RunRequest>(std::move(run_req));
  stream_sse(res, [=](SseWriter& w) {
    auto outs = answer(&w, *shared, *req);
    oai::Usage usage = outs[0]->usage();
    for (size_t i = 0; i < outs.size(); ++i) {
      if (outs[i]->failed()) return;
      if (i > 0) usage.completion_tokens += outs[i]->usage().completion_tokens;
    }
    if (include_usage && !w.data(oai::usage_chunk(head, "chat.completion.chunk", usage))) return;
    w.done();
  });
}

void handle_chat_completions(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_oai_error(res, body.error());
  auto r = oai::parse_chat_completion(*body);
  if (!r.ok()) return reply_oai_error(res, r.error());
  auto p = prepare(app, r->chat.model, r->chat.options, Use::kChat);
  if (!p.ok()) return reply_oai_error(res, p.error());
  auto run_req = ready_chat(app, *p, r->chat, std::nullopt);
  if (!run_req.ok()) return reply_oai_error(res, run_req.error());
  oai::Head head{api::compat::random_id("chatcmpl-"), api::compat::unix_now(), r->chat.model};
  bool usage = r->include_usage;
  if (r->n > 1) {
    return respond_choices(app, res, r->n, r->chat.stream, usage, head, std::move(p).value(),
                           std::move(run_req).value());
  }
  respond_compat(
      res, r->chat.stream, std::move(p).value(), std::move(run_req).value(),
      [head, usage](SseWriter* w) { return std::make_unique<ChatOutput>(head, w, usage); });
}

void handle_completions(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_oai_error(res, body.error());
  auto r = oai::parse_completion(*body);
  if (!r.ok()) return reply_oai_error(res, r.error());
  auto p = prepare(app, r->generate.model, r->generate.options, Use::kGenerate);
  if (!p.ok()) return reply_oai_error(res, p.error());
  auto prompt = render_generate(p->model, r->generate);
  if (!prompt.ok()) return reply_oai_error(res, prompt.error());
  if (Status st = acquire(app, *p, std::nullopt); !st.ok()) return reply_oai_error(res, st.error());
  RunRequest run_req;
  run_req.prompt = std::move(prompt).value();
  run_req.top_logprobs = r->generate.top_logprobs;
  oai::Head head{api::compat::random_id("cmpl-"), api::compat::unix_now(), r->generate.model};
  bool usage = r->include_usage;
  respond_compat(
      res, r->generate.stream, std::move(p).value(), std::move(run_req),
      [head, usage](SseWriter* w) { return std::make_unique<CompletionOutput>(head, w, usage); });
}

void handle_models(App& app, const httplib::Request&, httplib::Response& res) {
  auto list = app.store.list();
  if (!list.ok()) return reply_oai_error(res, list.error());
  Json data = Json::array();
  for (const auto& e : *list)
    data.push_back(
        oai::model_object(e.name.display_shortest(), unix_seconds(e.modified), e.name.ns));
  reply_json(res, 200, Json{{"object", "list"}, {"data", data}});
}

void handle_model(App& app, const httplib::Request& req, httplib::Response& res) {
  std::string id = req.matches[1];
  auto m = find_model(app, id);
  if (!m.ok()) return reply_oai_error(res, m.error());
  reply_json(res, 200, oai::model_object(id, unix_seconds(m->modified), m->name.ns));
}

// /v1/embeddings: input is a string or a list of strings; encoding_format "float" or
// "base64" (the little-endian float32 bytes); dimensions cut then re-normalise.
Result<EmbedRequest> parse_oai_embeddings(const Json& body) {
  EmbedRequest r;
  CRIA_ASSIGN_OR_RETURN(r.model, api::request_model(body));
  const Json input = body.value("input", Json());
  if (input.is_string()) {
    r.inputs.push_back(input.get<std::string>());
  } else if (input.is_array() && !input.empty()) {
    for (const Json& s : input) {
      if (!s.is_string()) {
        return make_error(Errc::kInvalidArgument,
                          "invalid input: expected a string or an array of strings");
      }
      r.inputs.push_back(s.get<std::string>());
    }
  } else {
    return make_error(Errc::kInvalidArgument,
                      "invalid input: expected a string or a non-empty array of strings");
  }
  if (auto it = body.find("dimensions"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() <= 0) {
      return make_error(Errc::kInvalidArgument, "dimensions must be a positive integer");
    }
    r.dimensions = it->get<int64_t>();
  }
  return r;
}

Json oai_embedding(const std::vector<float>& v, bool base64) {
  if (!base64) return v;
  return base64_encode(
      std::string_view(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float)));
}

void handle_oai_embeddings(App& app, const httplib::Request& req, httplib::Response& res) {
  auto body = parse_body(req);
  if (!body.ok()) return reply_oai_error(res, body.error());
  auto r = parse_oai_embeddings(*body);
  if (!r.ok()) return reply_oai_error(res, r.error());
  const std::string format = body->value("encoding_format", "float");
  if (format != "float" && format != "base64") {
    return reply_oai_error(res, 400, "encoding_format must be \"float\" or \"base64\"");
  }
  auto out = run_embed(app, *r);
  if (!out.ok()) return reply_oai_error(res, out.error());
  Json data = Json::array();
  for (size_t i = 0; i < out->embeddings.size(); ++i) {
    data.push_back(Json{{"object", "embedding"},
                        {"embedding", oai_embedding(out->embeddings[i], format == "base64")},
                        {"index", i}});
  }
  reply_json(res, 200,
             Json{{"object", "list"},
                  {"data", data},
                  {"model", r->model},
                  {"usage",
                   {{"prompt_tokens", out->prompt_eval_count},
                    {"total_tokens", out->prompt_eval_count}}}});
}

}  // namespace

void openai_routes(httplib::Server& s, App& app) {
  using Handler = void (*)(App&, const httplib::Request&, httplib::Response&);
  auto bind = [&app](Handler h) {
    return [&app, h](const httplib::Request& req, httplib::Response& res) { h(app, req, res); };
  };
  s.Post("/v1/chat/completions", bind(handle_chat_completions));
  s.Post("/v1/completions", bind(handle_completions));
  s.Get("/v1/models", bind(handle_models));
  s.Get(R"(/v1/models/(.+))", bind(handle_model));
  s.Post("/v1/embeddings", bind(handle_oai_embeddings));
}

}  // namespace cria::server
