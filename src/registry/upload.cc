#include "registry/upload.h"

#include <openssl/evp.h>

#include <thread>

#include <fmt/core.h>

#include "base/log.h"
#include "registry/parts.h"

namespace cria::registry {

namespace {

using MdPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

class Md5 {
 public:
  Md5() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
    EVP_DigestInit_ex(ctx_.get(), EVP_md5(), nullptr);
  }
  void update(std::string_view s) { EVP_DigestUpdate(ctx_.get(), s.data(), s.size()); }
  std::string finish() {
    unsigned char out[16];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_.get(), out, &n);
    return std::string(reinterpret_cast<char*>(out), n);
  }

 private:
  MdPtr ctx_;
};

std::string hex(std::string_view bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

// The URL the next request of this upload goes to.
Result<Url> upload_location(const Url& from, const HttpResponse& res) {
  std::string loc = res.header("Docker-Upload-Location");
  if (loc.empty()) loc = res.header("Location");
  if (loc.empty()) return make_error(Errc::kUnavailable, "the registry named no upload URL");
  return from.resolve(loc);
}

class Upload {
 public:
  Upload(const UploadRequest& req, const UploadProgress& progress)
      : req_(req), progress_(progress) {}

  Status run();

 private:
  Result<bool> exists();
  Result<std::optional<Url>> start();  // nullopt: mounted
  Status send_part(const PartState& part, Url& location, std::string& md5);
  Status send_part_once(const PartState& part, Url& location, std::string& md5);
  bool report() {
    auto now = std::chrono::steady_clock::now();
    if (now - last_report_ < std::chrono::milliseconds(100) && completed_ < total()) return true;
    last_report_ = now;
    return progress_(completed_, total());
  }
  int64_t total() const { return req_.layer.size; }

  const UploadRequest& req_;
  const UploadProgress& progress_;
  int64_t completed_ = 0;
  bool cancelled_ = false;
  std::chrono::steady_clock::time_point last_report_;
};

Result<bool> Upload::exists() {
  HttpRequest r;
  r.method = "HEAD";
  r.url = req_.client->url("blobs/" + req_.layer.digest);
  CRIA_ASSIGN_OR_RETURN(HttpResponse res, req_.client->call(r));
  if (res.status == 404) return false;
  if (res.status >= 400) return status_error(res);
  return true;
}

Result<std::optional<Url>> Upload::start() {
  HttpRequest r;
  r.method = "POST";
  r.url = req_.client->url("blobs/uploads/");
  if (auto from = store::Name::parse(req_.layer.from); !req_.layer.from.empty() && from.ok()) {
    r.url.add_query("mount", req_.layer.digest);
    r.url.add_query("from", from->ns + "/" + from->model);
  }
  CRIA_ASSIGN_OR_RETURN(HttpResponse res, req_.client->call_ok(r));
  if (res.status == 201) return std::optional<Url>();
  CRIA_ASSIGN_OR_RETURN(Url next, upload_location(r.url, res));
  return std::optional<Url>(next);
}

Status Upload::send_part_once(const PartState& part, Url& location, std::string& md5) {
  Md5 sum;
  int64_t sent = 0;
  HttpRequest r;
  r.method = "PATCH";
  r.url = location;
  r.headers = {{"Content-Type", "application/octet-stream"},
               {"Content-Range", fmt::format("{}-{}", part.offset, part.stops_at() - 1)},
               {"X-Redirect-Uploads", "1"}};
  r.file = FileBody{req_.blob_path, static_cast<uint64_t>(part.offset),
                    static_cast<uint64_t>(part.size), [&](std::string_view chunk) {
                      sum.update(chunk);
                      sent += static_cast<int64_t>(chunk.size());
                      completed_ += static_cast<int64_t>(chunk.size());
                      if (!report()) cancelled_ = true;
                      return !cancelled_;
                    }};
  auto res = req_.client->call(r);
  if (res.ok() && res->status == 307) {
    // The part goes to the redirect (object storage), the next one to the upload URL.
    completed_ -= sent;
    sent = 0;
    sum = Md5();
    CRIA_ASSIGN_OR_RETURN(Url next, upload_location(location, *res));
    CRIA_ASSIGN_OR_RETURN(Url target, location.resolve(res->header("Location")));
    HttpRequest put = r;
    put.method = "PUT";
    put.url = target;
    put.headers = {{"Content-Type", "application/octet-stream"}};
    res = send(put, req_.client->options().transport);
    if (res.ok() && res->ok()) location = next;
  } else if (res.ok() && res->ok()) {
    CRIA_ASSIGN_OR_RETURN(location, upload_location(location, *res));
  }
  if (!res.ok() || !res->ok()) {
    completed_ -= sent;
    return res.ok() ? status_error(*res) : std::move(res).error();
  }
  md5 = sum.finish();
  return {};
}

Status Upload::send_part(const PartState& part, Url& location, std::string& md5) {
  Status st;
  for (int attempt = 0; attempt < req_.options.max_retries; ++attempt) {
    st = send_part_once(part, location, md5);
    if (st.ok() || cancelled_) return st;
    log::info("{} part {} attempt {} failed: {}, retrying", req_.layer.digest.substr(7, 12), part.n,
              attempt, st.error().message);
    std::this_thread::sleep_for(req_.options.backoff * (1 << attempt));
  }
  return make_error(Errc::kUnavailable, "max retries exceeded: " + st.error().message);
}

Status Upload::run() {
  CRIA_ASSIGN_OR_RETURN(bool present, exists());
  if (!present) {
    CRIA_ASSIGN_OR_RETURN(auto location, start());
    if (location) {
      auto parts = plan_parts(total(), req_.options.part_size);
      Md5 etag;
      for (const auto& part : parts) {
        std::string md5;
        CRIA_RETURN_IF_ERROR(send_part(part, *location, md5));
        if (cancelled_) return make_error(Errc::kUnavailable, "the upload was cancelled");
        etag.update(md5);
      }
      location->add_query("digest", req_.layer.digest);
      location->add_query("etag", fmt::format("{}-{}", hex(etag.finish()), parts.size()));
      HttpRequest commit;
      commit.method = "PUT";
      commit.url = *location;
      commit.headers = {{"Content-Type", "application/octet-stream"}};
      CRIA_RETURN_IF_ERROR(req_.client->call_ok(commit));
    }
  }
  completed_ = total();
  progress_(completed_, total());
  return {};
}

}  // namespace

Status upload_blob(const UploadRequest& req, const UploadProgress& progress) {
  return Upload(req, progress).run();
}

}  // namespace cria::registry
