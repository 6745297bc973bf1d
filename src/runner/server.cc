#include "runner/server.h"

#include <cstdio>
#include <mutex>

#include <httplib.h>

#include "api/types.h"
#include "base/log.h"
#include "runner/batcher.h"
#include "sampler/json_schema.h"

namespace cria::runner {

namespace {

using api::Json;

void reply(httplib::Response& res, int status, const Json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

Result<Json> parse_body(const httplib::Request& req) {
  Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return make_error(Errc::kInvalidArgument, "the body is not a JSON object");
  return body;
}

// The grammar for a request's format: null or "" (none), "json" or a JSON schema object.
Result<std::shared_ptr<const Grammar>> format_grammar(const Json& format) {
  if (format.is_null() || (format.is_string() && format.get<std::string>().empty())) {
    return std::shared_ptr<const Grammar>();
  }
  if (format.is_string() && format.get<std::string>() == "json") return json_object_grammar();
  if (format.is_object()) return json_schema_grammar(format.dump());
  return make_error(Errc::kInvalidArgument,
                    "invalid format: " + format.dump() + "; expected \"json\" or a JSON schema");
}

Result<CompletionParams> completion_params(const Json& body) {
  CompletionParams p;
  if (auto it = body.find("prompt"); it != body.end() && it->is_string()) p.prompt = *it;
  if (auto it = body.find("context"); it != body.end() && it->is_array()) {
    for (const Json& t : *it) {
      if (!t.is_number_integer()) return make_error(Errc::kInvalidArgument, "bad context token");
      p.context.push_back(t.get<int32_t>());
    }
  }
  if (auto it = body.find("options"); it != body.end()) {
    CRIA_RETURN_IF_ERROR(api::apply_options(*it, p.options, nullptr));
  }
  CRIA_RETURN_IF_ERROR(api::validate_options(p.options));
  if (auto it = body.find("format"); it != body.end()) {
    p.format = *it;
    CRIA_ASSIGN_OR_RETURN(p.grammar, format_grammar(p.format));
  }
  if (auto it = body.find("grammar"); it != body.end()) {
    if (!it->is_string()) return make_error(Errc::kInvalidArgument, "grammar must be a string");
    if (p.grammar) return make_error(Errc::kInvalidArgument, "give format or grammar, not both");
    auto g = Grammar::parse(it->get<std::string>());
    if (!g.ok()) return make_error(Errc::kInvalidArgument, "invalid grammar: " + g.error().message);
    p.grammar = std::move(g).value();
  }
  if (auto it = body.find("top_logprobs"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < -1 ||
        it->get<int64_t>() > kMaxTopLogprobs) {
      return make_error(Errc::kInvalidArgument, "top_logprobs must be -1..20");
    }
    p.top_logprobs = it->get<int>();
  }
  return p;
}

// A token as Ollama's logprobs entries show it: its text and its bytes.
Json token_json(const tokenizer::Tokenizer& tok, int32_t id, float logprob) {
  const std::string& piece = tok.token_to_piece(id);
  Json bytes = Json::array();
  for (char c : piece) bytes.push_back(static_cast<uint8_t>(c));
  return Json{{"token", piece}, {"logprob", logprob}, {"bytes", bytes}};
}

Json logprobs_json(const tokenizer::Tokenizer& tok, const std::vector<StepLogprobs>& steps) {
  Json out = Json::array();
  for (const StepLogprobs& s : steps) {
    Json j = token_json(tok, s.chosen.id, s.chosen.logprob);
    if (s.n_top > 0) {
      Json top = Json::array();
      for (int i = 0; i < s.n_top; ++i) {
        const TokenLogprob& t = s.top[static_cast<size_t>(i)];
        top.push_back(token_json(tok, t.id, t.logprob));
      }
      j["top_logprobs"] = std::move(top);
    }
    out.push_back(std::move(j));
  }
  return out;
}

Json done_json(const CompletionResult& r) {
  return Json{{"done", true},
              {"done_reason", r.done_reason},
              {"prompt_eval_count", r.prompt_eval_count},
              {"prompt_eval_duration", r.prompt_eval.count()},
              {"eval_count", r.eval_count},
              {"eval_duration", r.eval.count()},
              {"context", r.context}};
}

bool write_line(httplib::DataSink& sink, const Json& j) {
  // Token texts may be partial UTF-8 (a byte token): replaced with U+FFFD; "bytes" has them.
  std::string line = j.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
  return sink.write(line.data(), line.size());
}

class Routes {
 public:
  explicit Routes(Batcher& b) : batcher_(b) {}

  void install(httplib::Server& server) {
    server.Get("/health", [this](const httplib::Request&, httplib::Response& res) { health(res); });
    server.Post("/tokenize", [this](const httplib::Request& req, httplib::Response& res) {
      tokenize(req, res);
    });
    server.Post("/detokenize", [this](const httplib::Request& req, httplib::Response& res) {
      detokenize(req, res);
    });
    server.Post("/completion", [this](const httplib::Request& req, httplib::Response& res) {
      completion(req, res);
    });
    server.Post("/embedding", [this](const httplib::Request& req, httplib::Response& res) {
      embedding(req, res);
    });
  }

 private:
  void health(httplib::Response& res) {
    auto total = batcher_.context().memory().total();
    reply(res, 200,
          Json{{"status", "ok"},
               {"n_ctx", batcher_.n_ctx_per_seq()},
               {"memory",
                {{"total", total.total()},
                 {"weights", total.weights},
                 {"kv", total.kv},
                 {"compute", total.compute}}}});
  }

  void tokenize(const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return reply(res, 400, api::error_json(body.error().message));
    std::string text = body->value("content", "");
    bool add_special = body->value("add_special", true);
    reply(res, 200, Json{{"tokens", batcher_.tokenize(text, add_special)}});
  }

  void detokenize(const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return reply(res, 400, api::error_json(body.error().message));
    std::vector<int32_t> ids;
    for (const Json& t : body->value("tokens", Json::array()))
      if (t.is_number_integer()) ids.push_back(t.get<int32_t>());
    reply(res, 200, Json{{"content", batcher_.detokenize(ids)}});
  }

  // {"inputs": [texts], "truncate": true} → {"embeddings": [[...]], "prompt_eval_count": n}.
  void embedding(const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return reply(res, 400, api::error_json(body.error().message));
    std::vector<std::string> inputs;
    for (const Json& t : body->value("inputs", Json::array())) {
      if (!t.is_string()) return reply(res, 400, api::error_json("inputs must be strings"));
      inputs.push_back(t.get<std::string>());
    }
    auto r = batcher_.embed(inputs, body->value("truncate", true));
    if (!r.ok()) {
      const bool bad =
          r.error().code == Errc::kInvalidArgument || r.error().code == Errc::kUnsupported;
      return reply(res, bad ? 400 : 500, api::error_json(r.error().message));
    }
    reply(res, 200,
          Json{{"embeddings", r->embeddings}, {"prompt_eval_count", r->prompt_eval_count}});
  }

  void completion(const httplib::Request& req, httplib::Response& res) {
    auto body = parse_body(req);
    if (!body.ok()) return reply(res, 400, api::error_json(body.error().message));
    if (batcher_.is_embedding()) {
      return reply(res, 400, api::error_json("this model only produces embeddings"));
    }
    auto params = completion_params(*body);
    if (!params.ok()) return reply(res, 400, api::error_json(params.error().message));
    auto job = std::make_shared<Job>(std::move(params).value());
    res.set_chunked_content_provider("application/x-ndjson",
                                     [this, job](size_t, httplib::DataSink& sink) {
                                       stream(job, sink);
                                       sink.done();
                                       return true;
                                     });
  }

  // Submits the job once the client is listening, then writes its events until the end;
  // a failed write (the client went away) cancels it.
  void stream(const std::shared_ptr<Job>& job, httplib::DataSink& sink) {
    job->tokens = batcher_.prompt_tokens(job->params);
    batcher_.submit(job);
    for (;;) {
      Event e = job->pop();
      if (auto* piece = std::get_if<Piece>(&e)) {
        Json line = {{"content", piece->text}};
        if (!piece->logprobs.empty()) {
          line["logprobs"] = logprobs_json(batcher_.tokenizer(), piece->logprobs);
        }
        if (!write_line(sink, line)) {
          job->cancelled = true;
          return;
        }
      } else if (auto* done = std::get_if<CompletionResult>(&e)) {
        write_line(sink, done_json(*done));
        return;
      } else {
        const Error& err = std::get<Error>(e);
        log::warn("completion failed: {}", err.message);
        write_line(sink, api::error_json(err.message));
        return;
      }
    }
  }

  Batcher& batcher_;
};

// A "progress F" line (F: the fraction loaded, 0..1) on stdout, before the port line: the
// server (sched/process_runner.cc) restarts its stall timeout on each one that moves F.
void print_progress(float fraction) {
  std::printf("progress %.3f\n", static_cast<double>(fraction));
  std::fflush(stdout);
}

}  // namespace

int serve(const RunnerOptions& options) {
  auto batcher = Batcher::load({.model_path = options.model_path,
                                .context = options.context,
                                .parallel = options.parallel,
                                .compute_lock = options.compute_lock,
                                .on_progress = print_progress});
  if (!batcher.ok()) {
    std::fprintf(stderr, "Error: %s\n", batcher.error().message.c_str());
    return 1;
  }
  print_progress(1.0f);  // the KV cache and compute buffers, the last step, are ready too
  httplib::Server server;
  // One thread per streaming completion, plus a few for health and tokenize calls.
  const int threads = options.parallel + 4;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_socket_options([](socket_t sock) {  // no SO_REUSEPORT: the port is ours alone
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof yes);
  });
  Routes routes(**batcher);
  routes.install(server);
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port("127.0.0.1");
  } else if (!server.bind_to_port("127.0.0.1", port)) {
    port = -1;
  }
  if (port < 0) {
    std::fprintf(stderr, "Error: the runner cannot listen on 127.0.0.1:%d\n", options.port);
    return 1;
  }
  std::printf("listening on 127.0.0.1:%d\n", port);
  std::fflush(stdout);
  return server.listen_after_bind() ? 0 : 1;
}

}  // namespace cria::runner
