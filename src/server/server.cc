#include "server/server.h"

#include <signal.h>

#include <unistd.h>

#include <filesystem>
#include <limits>

#include <fmt/core.h>
#include <httplib.h>

#include "base/log.h"
#include "sched/process_runner.h"
#include "server/app.h"
#include "server/compat_routes.h"
#include "server/embed.h"
#include "server/generate.h"
#include "server/http.h"
#include "server/models.h"
#include "server/registry_routes.h"

namespace cria::server {

namespace {

constexpr size_t kHttpThreads = 64;

constexpr const char* kAllowHeaders =
    "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, "
    "x-stainless-arch, x-stainless-async, x-stainless-custom-poll-interval, "
    "x-stainless-helper-method, x-stainless-lang, x-stainless-os, x-stainless-package-version, "
    "x-stainless-poll-helper, x-stainless-retry-count, x-stainless-runtime, "
    "x-stainless-runtime-version, x-stainless-timeout, anthropic-version, anthropic-beta, "
    "anthropic-dangerous-direct-browser-access, x-api-key";

// Host check and CORS, before any route runs.
httplib::Server::HandlerResponse guard(const App& app, const httplib::Request& req,
                                       httplib::Response& res) {
  if (!app.guard.host_allowed(req.get_header_value("Host"))) {
    res.status = 403;
    return httplib::Server::HandlerResponse::Handled;
  }
  std::string origin = req.get_header_value("Origin");
  if (!origin.empty()) {
    if (!app.guard.origin_allowed(origin)) {
      res.status = 403;
      return httplib::Server::HandlerResponse::Handled;
    }
    res.set_header("Access-Control-Allow-Origin", origin);
    res.set_header("Vary", "Origin");
    if (req.method == "OPTIONS") {
      res.set_header("Access-Control-Allow-Methods",
                     "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS");
      res.set_header("Access-Control-Allow-Headers", kAllowHeaders);
      res.set_header("Access-Control-Max-Age", "43200");
      res.status = 204;
      return httplib::Server::HandlerResponse::Handled;
    }
  }
  return httplib::Server::HandlerResponse::Unhandled;
}

using Handler = void (*)(App&, const httplib::Request&, httplib::Response&);

// The file this server's runners lock around each batch (runner/compute_gate.h).
std::string compute_lock_path() {
  std::error_code ec;
  auto dir = std::filesystem::temp_directory_path(ec);
  if (ec) dir = "/tmp";
  return (dir / fmt::format("cria-{}-compute.lock", getpid())).string();
}

void routes(httplib::Server& s, App& app) {
  auto bind = [&app](Handler h) {
    return [&app, h](const httplib::Request& req, httplib::Response& res) { h(app, req, res); };
  };
  auto running = [](const httplib::Request&, httplib::Response& res) {
    res.set_content("Ollama is running", "text/plain; charset=utf-8");
  };
  s.Get("/", running);
  s.Get("/api/version", [](const httplib::Request&, httplib::Response& res) {
    reply_json(res, 200, Json{{"version", kApiVersion}});
  });
  s.Post("/api/generate", bind(handle_generate));
  s.Post("/api/chat", bind(handle_chat));
  s.Post("/api/embed", bind(handle_embed));
  s.Post("/api/embeddings", bind(handle_embeddings));
  s.Get("/api/tags", bind(handle_tags));
  s.Post("/api/show", bind(handle_show));
  s.Post("/api/copy", bind(handle_copy));
  s.Delete("/api/delete", bind(handle_delete));
  s.Post("/api/create", bind(handle_create));
  s.Get("/api/ps", bind(handle_ps));
  s.Post("/api/pull", bind(handle_pull));
  s.Post("/api/push", bind(handle_push));
  s.Get(R"(/api/blobs/([^/]+))", bind(handle_blob_head));  // HEAD is routed to GET handlers
  s.Post(R"(/api/blobs/([^/]+))",
         [&app](const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader& reader) { handle_blob_post(app, req, res, reader); });
  openai_routes(s, app);
  anthropic_routes(s, app);
}

}  // namespace

struct Server::Impl {
  Impl(const Config& c, std::unique_ptr<sched::RunnerFactory> f) : app(c, std::move(f)) {}
  App app;
  httplib::Server http;
};

Server::Server(const Config& config, std::unique_ptr<sched::RunnerFactory> factory) {
  if (!factory) {
    sched::ProcessRunnerOptions po;
    po.load_timeout = config.load_timeout;
    po.compute_lock = compute_lock_path();
    factory = sched::make_process_runner_factory(po);
  }
  impl_ = std::make_unique<Impl>(config, std::move(factory));
  App& app = impl_->app;
  signal(SIGPIPE, SIG_IGN);
  impl_->http.set_pre_routing_handler(
      [&app](const httplib::Request& req, httplib::Response& res) { return guard(app, req, res); });
  impl_->http.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "internal error";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        log::error("request failed: {}", what);
        reply_error(res, 500, what);
      });
  impl_->http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) res.set_content("404 page not found", "text/plain");
  });
  impl_->http.set_logger([](const httplib::Request& req, const httplib::Response& res) {
    log::debug("{} {} {}", req.method, req.path, res.status);
  });
  // Streaming requests hold a thread each for their whole answer; requests beyond
  // these wait in the pool's queue (the scheduler bounds the requests it accepts).
  impl_->http.new_task_queue = [] { return new httplib::ThreadPool(kHttpThreads); };
  // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, with which a second
  // `cria serve` on the same port would start and share the connections silently.
  impl_->http.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, reinterpret_cast<const void*>(&yes), sizeof yes);
  });
  // Blob uploads are streamed and may be many gigabytes; JSON bodies are capped in parse_body.
  impl_->http.set_payload_max_length(std::numeric_limits<size_t>::max());
  routes(impl_->http, app);
}

Server::~Server() {
  stop();
}

Result<int> Server::bind() {
  const HostAddr& a = impl_->app.config.host_addr;
  std::string host = a.host.empty() ? "0.0.0.0" : a.host;
  int port = a.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(host);
  } else if (!impl_->http.bind_to_port(host, port)) {
    port = -1;
  }
  if (port < 0) {
    return make_error(Errc::kUnavailable,
                      fmt::format("cannot listen on {}:{}: the address is in use or not "
                                  "available (is another server running?)",
                                  host, a.port));
  }
  return port;
}

bool Server::listen() {
  return impl_->http.listen_after_bind();
}

void Server::stop() {
  if (!impl_) return;
  impl_->http.stop();
  impl_->app.sched.stop();
  std::error_code ec;
  std::filesystem::remove(compute_lock_path(), ec);
}

}  // namespace cria::server
