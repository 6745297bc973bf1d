// A client for one repository of one registry (a model name's host, namespace
// and model): the URLs of the distribution API, bearer tokens on a 401 (signed
// challenge, Ollama's auth), and registry errors as statuses.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "registry/key.h"
#include "registry/transport.h"
#include "store/name.h"

namespace cria::registry {

struct ClientOptions {
  bool insecure = false;  // plain http (also for a name spelled https://)
  std::string key_path;   // ~/.ollama/id_ed25519, created when a registry asks for a token
  TransportOptions transport;
};

// "insecure protocol http" when the name asks for http without --insecure.
Status check_scheme(const store::Name& name, bool insecure);

class RegistryClient {
 public:
  RegistryClient(const store::Name& name, ClientOptions opts);

  // scheme://host/v2/<namespace>/<model>/<suffix>
  Url url(std::string_view suffix) const;
  const Url& base() const { return base_; }
  const ClientOptions& options() const { return opts_; }

  // Sends `req`, with the bearer token when it goes to the registry's own host;
  // on a 401 with a Bearer challenge, gets a token and sends it once more.
  // Returns whatever status came back.
  Result<HttpResponse> call(HttpRequest req, HttpResponse* partial = nullptr);
  // As call, but a status >= 400 is an error ("<status>: <body>").
  Result<HttpResponse> call_ok(HttpRequest req);

 private:
  Result<std::string> fetch_token(const std::string& www_authenticate);
  std::string token() const;

  store::Name name_;
  ClientOptions opts_;
  Url base_;
  mutable std::mutex mu_;
  std::string token_;
  std::optional<SigningKey> key_;
};

}  // namespace cria::registry
