#include "registry/client.h"

#include <chrono>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/log.h"
#include "registry/challenge.h"

namespace cria::registry {

Status check_scheme(const store::Name& name, bool insecure) {
  if (name.scheme == "http" && !insecure) {
    return make_error(Errc::kInvalidArgument, "insecure protocol http");
  }
  return {};
}

RegistryClient::RegistryClient(const store::Name& name, ClientOptions opts)
    : name_(name), opts_(std::move(opts)) {
  base_.scheme = opts_.insecure ? "http" : name.scheme;
  base_.host = name.host;
}

Url RegistryClient::url(std::string_view suffix) const {
  Url u = base_;
  u.target = fmt::format("/v2/{}/{}/{}", name_.ns, name_.model, suffix);
  return u;
}

std::string RegistryClient::token() const {
  std::lock_guard lock(mu_);
  return token_;
}

Result<HttpResponse> RegistryClient::call(HttpRequest req, HttpResponse* partial) {
  const bool own_host = req.url.host == base_.host;
  if (own_host && opts_.insecure) req.url.scheme = "http";
  HttpRequest first = req;
  if (std::string t = token(); own_host && !t.empty()) {
    first.headers.emplace_back("Authorization", "Bearer " + t);
  }
  // A 401 is answered with its body read: no callback sees it as a transfer.
  auto guard_401 = [&](HttpRequest& r) {
    auto on_headers = r.on_headers;
    r.on_headers = [on_headers](const HttpResponse& res) {
      return res.status == 401 || !on_headers || on_headers(res);
    };
  };
  guard_401(first);
  CRIA_ASSIGN_OR_RETURN(HttpResponse res, send(first, opts_.transport, partial));
  if (res.status != 401 || !own_host) return res;
  std::string challenge = res.header("WWW-Authenticate");
  if (challenge.empty()) return res;
  CRIA_ASSIGN_OR_RETURN(std::string t, fetch_token(challenge));
  req.headers.emplace_back("Authorization", "Bearer " + t);
  return send(req, opts_.transport, partial);
}

Result<HttpResponse> RegistryClient::call_ok(HttpRequest req) {
  CRIA_ASSIGN_OR_RETURN(HttpResponse res, call(std::move(req)));
  if (res.status >= 400) return status_error(res);
  return res;
}

Result<std::string> RegistryClient::fetch_token(const std::string& www_authenticate) {
  Challenge c = parse_challenge(www_authenticate);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
      std::chrono::system_clock::now().time_since_epoch());
  CRIA_ASSIGN_OR_RETURN(Url u, token_url(c, base_.host, now.count(), new_nonce()));
  {
    std::lock_guard lock(mu_);
    if (!key_) {
      CRIA_ASSIGN_OR_RETURN(SigningKey k, SigningKey::load_or_create(opts_.key_path));
      key_ = k;
    }
  }
  CRIA_ASSIGN_OR_RETURN(std::string auth, key_->authorization(token_request_data("GET", u.str())));
  HttpRequest req;
  req.url = u;
  req.headers.emplace_back("Authorization", auth);
  CRIA_ASSIGN_OR_RETURN(HttpResponse res, send(req, opts_.transport));
  if (res.status >= 400) return status_error(res);
  auto j = nlohmann::json::parse(res.body, nullptr, false);
  if (!j.is_object() || !j.contains("token") || !j["token"].is_string()) {
    return make_error(Errc::kUnavailable,
                      fmt::format("the token service at {} sent no token", u.origin()));
  }
  std::lock_guard lock(mu_);
  token_ = j["token"].get<std::string>();
  log::debug("registry token from {}", u.origin());
  return token_;
}

}  // namespace cria::registry
