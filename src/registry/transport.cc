#include "registry/transport.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

#include <fmt/core.h>
#include <httplib.h>

namespace cria::registry {

namespace {

constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kChunk = 1 << 20;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::unique_ptr<httplib::Client> connect(const Url& u, const TransportOptions& o) {
  auto c = std::make_unique<httplib::Client>(u.origin());
  c->set_connection_timeout(
      std::chrono::duration_cast<std::chrono::microseconds>(o.connect_timeout));
  c->set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(o.read_timeout));
  c->set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(o.read_timeout));
  c->set_follow_location(false);
  c->set_keep_alive(false);
  return c;
}

// Streams a file section as the request body.
void attach_file(httplib::Request& r, const FileBody& body) {
  auto file = std::shared_ptr<std::FILE>(std::fopen(body.path.c_str(), "rb"), [](std::FILE* f) {
    if (f) std::fclose(f);
  });
  r.content_length_ = body.length;
  r.content_provider_ = [file, body](size_t offset, size_t length, httplib::DataSink& sink) {
    if (!file) return false;
    std::vector<char> buf(std::min(length, kChunk));
    if (std::fseek(file.get(), static_cast<long>(body.offset + offset), SEEK_SET) != 0) {
      return false;
    }
    size_t n = std::fread(buf.data(), 1, buf.size(), file.get());
    if (n == 0) return false;
    if (body.on_chunk && !body.on_chunk(std::string_view(buf.data(), n))) return false;
    return sink.write(buf.data(), n);
  };
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  auto it = headers.find(lower(std::string(name)));
  return it == headers.end() ? "" : it->second;
}

Result<HttpResponse> send(const HttpRequest& req, const TransportOptions& opts,
                          HttpResponse* partial) {
  auto client = connect(req.url, opts);
  httplib::Request r;
  r.method = req.method;
  r.path = req.url.target;
  r.set_header("User-Agent", opts.user_agent);
  for (const auto& [k, v] : req.headers) r.set_header(k, v);
  if (!req.file.path.empty()) {
    attach_file(r, req.file);
  } else {
    r.body = req.body;
  }
  HttpResponse out;
  bool stopped = false;
  r.response_handler = [&](const httplib::Response& res) {
    out.status = res.status;
    for (const auto& [k, v] : res.headers) out.headers.emplace(lower(k), v);
    if (req.on_headers && !req.on_headers(out)) {
      stopped = true;
      return false;
    }
    return true;
  };
  r.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (out.ok() && req.on_body) {
      if (req.on_body(std::string_view(data, n))) return true;
      stopped = true;
      return false;
    }
    if (out.body.size() < kMaxErrorBody) out.body.append(data, std::min(n, kMaxErrorBody));
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool sent = client->send(r, res, err);
  if (stopped) {
    if (partial) *partial = out;
    return make_error(Errc::kUnavailable, fmt::format("{} {}: stopped", req.method, req.url.str()));
  }
  if (!sent) {
    if (partial) *partial = out;
    return make_error(Errc::kUnavailable,
                      fmt::format("{} {}: {}", req.method, req.url.str(), httplib::to_string(err)));
  }
  if (out.status == 0) {  // no response handler call (HEAD)
    out.status = res.status;
    for (const auto& [k, v] : res.headers) out.headers.emplace(lower(k), v);
  }
  return out;
}

Error status_error(const HttpResponse& res) {
  std::string body = res.body;
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
  // Server trouble, timeouts and rate limits may pass; other refusals will not.
  Errc code = Errc::kInvalidArgument;
  if (res.status == 404) code = Errc::kNotFound;
  if (res.status >= 500 || res.status == 408 || res.status == 429) code = Errc::kUnavailable;
  return make_error(code, fmt::format("{}: {}", res.status, body));
}

}  // namespace cria::registry
