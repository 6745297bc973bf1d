#include "cli/client.h"

#include <cstdio>
#include <memory>

#include <fmt/core.h>
#include <httplib.h>

namespace cria::cli {

namespace {

std::unique_ptr<httplib::Client> connect(const HostAddr& h) {
  auto c = std::make_unique<httplib::Client>(
      fmt::format("{}://{}:{}", h.scheme == "https" ? "https" : "http", h.connect_host(), h.port));
  c->set_connection_timeout(std::chrono::seconds(5));
  c->set_read_timeout(std::chrono::hours(24));
  c->set_write_timeout(std::chrono::hours(1));
  return c;
}

Error connect_error(const HostAddr& h) {
  return make_error(
      Errc::kUnavailable,
      fmt::format("could not connect to the cria server at {}, is it running?", h.url()));
}

Errc errc_for(int status) {
  if (status == 404) return Errc::kNotFound;
  if (status == 400) return Errc::kInvalidArgument;
  if (status == 503) return Errc::kUnavailable;
  return Errc::kInternal;
}

Result<Json> reply_json(const httplib::Result& res, const HostAddr& h) {
  if (!res) return connect_error(h);
  Json j = res->body.empty() ? Json::object() : Json::parse(res->body, nullptr, false);
  if (res->status >= 400) {
    std::string msg =
        j.is_object() && j.contains("error") ? j["error"].get<std::string>() : res->body;
    return make_error(errc_for(res->status), msg);
  }
  if (j.is_discarded()) return make_error(Errc::kInternal, "the server sent invalid JSON");
  return j;
}

}  // namespace

bool Client::ping() const {
  auto c = connect(host_);
  c->set_connection_timeout(std::chrono::seconds(1));
  auto res = c->Get("/");
  return res && res->status == 200;
}

Result<Json> Client::get(const std::string& path) const {
  return reply_json(connect(host_)->Get(path), host_);
}

Result<Json> Client::post(const std::string& path, const Json& body) const {
  return reply_json(connect(host_)->Post(path, body.dump(), "application/json"), host_);
}

Status Client::del(const std::string& path, const Json& body) const {
  CRIA_RETURN_IF_ERROR(
      reply_json(connect(host_)->Delete(path, body.dump(), "application/json"), host_));
  return {};
}

Status Client::stream(const std::string& path, const Json& body,
                      const std::function<bool(const Json&)>& on_line) const {
  auto c = connect(host_);
  httplib::Request req;
  req.method = "POST";
  req.path = path;
  req.body = body.dump();
  req.set_header("Content-Type", "application/json");
  std::string buf, error_body;
  std::string line_error;
  bool stopped = false;
  int status = 0;
  req.response_handler = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
    if (status >= 400) {
      error_body.append(data, n);
      return true;
    }
    buf.append(data, n);
    for (size_t nl; (nl = buf.find('\n')) != std::string::npos;) {
      std::string line = buf.substr(0, nl);
      buf.erase(0, nl + 1);
      if (line.empty()) continue;
      Json j = Json::parse(line, nullptr, false);
      if (j.is_discarded()) continue;
      if (j.contains("error")) {
        line_error = j["error"].is_string() ? j["error"].get<std::string>() : j["error"].dump();
        return false;
      }
      if (!on_line(j)) {
        stopped = true;
        return false;
      }
    }
    return true;
  };
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  bool ok = c->send(req, res, err);
  if (!line_error.empty()) return make_error(Errc::kInternal, line_error);
  if (stopped) return {};
  if (status >= 400) {
    Json j = Json::parse(error_body, nullptr, false);
    std::string msg =
        j.is_object() && j.contains("error") ? j["error"].get<std::string>() : error_body;
    return make_error(errc_for(status), msg);
  }
  if (!ok) {
    if (err == httplib::Error::Connection) return connect_error(host_);
    return make_error(Errc::kUnavailable, fmt::format("the connection to the server failed: {}",
                                                      httplib::to_string(err)));
  }
  return {};
}

Result<bool> Client::has_blob(const std::string& digest) const {
  auto res = connect(host_)->Head("/api/blobs/" + digest);
  if (!res) return connect_error(host_);
  return res->status == 200;
}

Status Client::upload_blob(const std::string& digest, const std::string& path,
                           const std::function<void(uint64_t, uint64_t)>& progress) const {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return make_error(Errc::kNotFound, fmt::format("cannot open {}", path));
  std::fseek(f, 0, SEEK_END);
  auto size = static_cast<uint64_t>(std::ftell(f));
  std::fseek(f, 0, SEEK_SET);
  std::shared_ptr<std::FILE> file(f, std::fclose);
  auto res = connect(host_)->Post(
      "/api/blobs/" + digest, static_cast<size_t>(size),
      [&](size_t offset, size_t length, httplib::DataSink& sink) {
        std::vector<char> buf(std::min<size_t>(length, 1 << 20));
        std::fseek(file.get(), static_cast<long>(offset), SEEK_SET);
        size_t n = std::fread(buf.data(), 1, buf.size(), file.get());
        if (n == 0) return false;
        if (progress) progress(offset + n, size);
        return sink.write(buf.data(), n);
      },
      "application/octet-stream");
  CRIA_RETURN_IF_ERROR(reply_json(res, host_));
  return {};
}

}  // namespace cria::cli
