// The HTTP server: Ollama's API on OLLAMA_HOST.
//
//   Server server(config);
//   auto port = server.bind();   // 0 in OLLAMA_HOST picks a free port
//   server.listen();             // until stop()
#pragma once

#include <memory>

#include "base/config.h"
#include "base/result.h"
#include "sched/runner.h"

namespace cria::server {

// The API version /api/version reports: the Ollama release whose API Cria follows.
inline constexpr const char* kApiVersion = "0.12.6";

class Server {
 public:
  // factory: how models are loaded (runner processes by default).
  explicit Server(const Config& config, std::unique_ptr<sched::RunnerFactory> factory = nullptr);
  ~Server();

  Result<int> bind();
  // Serves until stop(); false when the listening socket failed.
  bool listen();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cria::server
