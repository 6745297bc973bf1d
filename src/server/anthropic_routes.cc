// Anthropic-compatible routes: POST /v1/messages and POST /v1/messages/count_tokens.
// Each handler: parse -> validate (prepare) -> schedule (acquire, render) ->
// stream (an Output writing message objects or the event sequence).
#include <optional>

#include "api/anthropic.h"
#include "api/compat.h"
#include "server/compat_routes.h"
#include "server/http.h"

namespace cria::server {

namespace {

namespace ant = api::anthropic;

void reply_ant_error(httplib::Response& res, const Error& e) {
  int status = http_status(e.code);
  reply_json(res, status, ant::error_body(status, e.message));
}

ant::Usage usage_of(const Final& f) {
  return {f.metrics.prompt_eval_count, f.metrics.eval_count};
}

// A message object (one reply) or the streamed event sequence.
class MessagesOutput final : public Output {
 public:
  MessagesOutput(std::string id, std::string model, SseWriter* stream)
      : id_(std::move(id)), model_(std::move(model)), stream_(stream), events_(id_, model_) {}

  // message_start, before the first piece; input_tokens is the prompt's length.
  bool start(int64_t input_tokens) { return write(events_.start(input_tokens)); }

  bool delta(const Delta& d) override {
    api::Message piece;
    piece.content = d.content;
    piece.thinking = d.thinking;
    piece.tool_calls = d.tool_calls;
    if (stream_) return write(events_.delta(piece));
    answer_.content += piece.content;
    answer_.thinking += piece.thinking;
    answer_.tool_calls.insert(answer_.tool_calls.end(), d.tool_calls.begin(), d.tool_calls.end());
    return true;
  }

  void done(const Final& f) override {
    if (stream_) {
      write(events_.finish(f.done_reason, usage_of(f)));
      return;
    }
    std::string reason = ant::stop_reason(f.done_reason, !answer_.tool_calls.empty());
    reply_ = ant::message_object(id_, model_, answer_, reason, usage_of(f));
  }

  void error(const Error& e) override {
    if (stream_) {
      stream_->event("error", ant::error_body(http_status(e.code), e.message));
    } else {
      error_ = e;
    }
  }

  void reply(httplib::Response& res) const {
    if (error_) return reply_ant_error(res, *error_);
    reply_json(res, 200, reply_);
  }

 private:
  bool write(const std::vector<ant::Event>& events) {
    for (const ant::Event& e : events) {
      if (!stream_->event(e.name, e.data)) return false;
    }
    return stream_->alive();
  }

  std::string id_;
  std::string model_;
  SseWriter* stream_;
  ant::MessageStream events_;
  api::Message answer_;
  Json reply_;
  std::optional<Error> error_;
};

Result<api::ChatRequest> parse_request(const httplib::Request& req,
                                       Result<api::ChatRequest> (*parse)(const Json&)) {
  CRIA_ASSIGN_OR_RETURN(Json body, parse_body(req));
  return parse(body);
}

int64_t count_tokens(Prepared& p, const std::string& prompt) {
  auto ids = p.lease->runner().tokenize(prompt, true);
  return ids.ok() ? static_cast<int64_t>(ids->size()) : 0;
}

void handle_messages(App& app, const httplib::Request& req, httplib::Response& res) {
  auto chat = parse_request(req, ant::parse_messages);
  if (!chat.ok()) return reply_ant_error(res, chat.error());
  auto p = prepare(app, chat->model, chat->options, Use::kChat);
  if (!p.ok()) return reply_ant_error(res, p.error());
  auto run_req = ready_chat(app, *p, *chat, std::nullopt);
  if (!run_req.ok()) return reply_ant_error(res, run_req.error());
  std::string id = api::compat::random_id("msg_");
  std::string model = chat->model;
  int64_t input_tokens = chat->stream ? count_tokens(*p, run_req->prompt) : 0;
  respond_compat(res, chat->stream, std::move(p).value(), std::move(run_req).value(),
                 [id, model, input_tokens](SseWriter* w) {
                   auto out = std::make_unique<MessagesOutput>(id, model, w);
                   if (w) out->start(input_tokens);
                   return out;
                 });
}

// The prompt's tokens, as the model would see it (rendered, not run).
Result<int64_t> prompt_tokens(App& app, const api::ChatRequest& chat) {
  CRIA_ASSIGN_OR_RETURN(Prepared p, prepare(app, chat.model, chat.options, Use::kChat));
  CRIA_RETURN_IF_ERROR(acquire(app, p, std::nullopt));
  CRIA_ASSIGN_OR_RETURN(std::string prompt, render_chat_prompt(p, chat));
  CRIA_ASSIGN_OR_RETURN(auto ids, p.lease->runner().tokenize(prompt, true));
  return static_cast<int64_t>(ids.size());
}

void handle_count_tokens(App& app, const httplib::Request& req, httplib::Response& res) {
  auto chat = parse_request(req, ant::parse_count_tokens);
  if (!chat.ok()) return reply_ant_error(res, chat.error());
  auto n = prompt_tokens(app, *chat);
  if (!n.ok()) return reply_ant_error(res, n.error());
  reply_json(res, 200, Json{{"input_tokens", *n}});
}

}  // namespace

void anthropic_routes(httplib::Server& s, App& app) {
  s.Post("/v1/messages", [&app](const httplib::Request& req, httplib::Response& res) {
    handle_messages(app, req, res);
  });
  s.Post("/v1/messages/count_tokens", [&app](const httplib::Request& req, httplib::Response& res) {
    handle_count_tokens(app, req, res);
  });
}

}  // namespace cria::server
