// Who may call the server: the Host-header check that stops DNS rebinding when
// the server listens on a loopback address, and CORS with OLLAMA_ORIGINS plus
// Ollama's built-in origins (localhost, 127.0.0.1, 0.0.0.0 on any port; app://,
// file://, tauri://, vscode-webview:// and vscode-file:// pages).
#pragma once

#include <string>
#include <vector>

namespace cria::server {

class Guard {
 public:
  // listen_host: the host the server binds ("" or 0.0.0.0: every interface).
  Guard(std::string listen_host, std::vector<std::string> extra_origins);

  // Whether a request with this Host header may be served.
  bool host_allowed(const std::string& host_header) const;
  // Whether a browser page from `origin` may call us.
  bool origin_allowed(const std::string& origin) const;

 private:
  bool loopback_only_;
  std::vector<std::string> origins_;  // patterns; '*' matches any run of characters
};

}  // namespace cria::server
