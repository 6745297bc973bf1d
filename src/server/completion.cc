#include "server/completion.h"

#include "api/types.h"

namespace cria::server {

namespace {

using Clock = std::chrono::steady_clock;

Json base_line(Shape shape, const std::string& model, const std::string& text) {
  Json j = {{"model", model}, {"created_at", api::format_time(std::chrono::system_clock::now())}};
  if (shape == Shape::kGenerate) {
    j["response"] = text;
  } else {
    j["message"] = Json{{"role", "assistant"}, {"content", text}};
  }
  return j;
}

// The final line: done, done_reason, context (generate) and the timings.
Json done_line(const CompletionJob& job, const Json& runner_done, const std::string& text) {
  Json j = base_line(job.shape, job.model, text);
  j["done"] = true;
  j["done_reason"] = runner_done.value("done_reason", "stop");
  if (job.shape == Shape::kGenerate) j["context"] = runner_done.value("context", Json::array());
  api::Metrics m;
  m.total = Clock::now() - job.started;
  m.load = job.lease->load_duration();
  m.prompt_eval_count = runner_done.value("prompt_eval_count", int64_t{0});
  m.prompt_eval = Nanos(runner_done.value("prompt_eval_duration", int64_t{0}));
  m.eval_count = runner_done.value("eval_count", int64_t{0});
  m.eval = Nanos(runner_done.value("eval_duration", int64_t{0}));
  api::add_metrics(j, m);
  return j;
}

// Runs the job; each piece of text goes to on_text (false: the client is gone).
// Returns the runner's final object, or an error.
Result<Json> run(CompletionJob& job, const std::function<bool(const std::string&)>& on_text) {
  Json done;
  std::string runner_error;
  Status st = job.lease->runner().complete(job.runner_request, [&](const Json& chunk) {
    if (chunk.contains("error")) {
      runner_error = chunk["error"].is_string() ? chunk["error"].get<std::string>() : "error";
      return false;
    }
    if (chunk.value("done", false)) {
      done = chunk;
      return true;
    }
    return on_text(chunk.value("content", ""));
  });
  if (!st.ok()) {
    job.lease->mark_failed();
    return std::move(st).error();
  }
  if (!runner_error.empty()) return make_error(Errc::kInternal, runner_error);
  return done;
}

}  // namespace

Json load_reply(Shape shape, const std::string& model, const std::string& reason) {
  Json j = base_line(shape, model, "");
  j["done_reason"] = reason;
  j["done"] = true;
  return j;
}

void respond_completion(httplib::Response& res, std::unique_ptr<CompletionJob> job) {
  if (!job->stream) {
    std::string text;
    auto done = run(*job, [&](const std::string& piece) {
      text += piece;
      return true;
    });
    if (!done.ok()) return reply_error(res, done.error());
    return reply_json(res, 200, done_line(*job, *done, text));
  }
  std::shared_ptr<CompletionJob> shared(std::move(job));
  stream_ndjson(res, [shared](LineWriter& out) {
    CompletionJob& j = *shared;
    auto done = run(j, [&](const std::string& piece) {
      if (piece.empty()) return out.alive();
      return out.write([&] {
        Json line = base_line(j.shape, j.model, piece);
        line["done"] = false;
        return line;
      }());
    });
    if (!out.alive()) return;
    if (!done.ok()) {
      out.write(Json{{"error", done.error().message}});
    } else if (!done->empty()) {
      out.write(done_line(j, *done, ""));
    }
    j.lease.reset();
  });
}

}  // namespace cria::server
