#include "registry/download_job.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/core.h>

#include "base/log.h"
#include "store/digest.h"

namespace cria::registry {

namespace fs = std::filesystem;

namespace {

constexpr int kMaxRedirects = 10;
// A part's state is saved after this many bytes or this long, whichever comes first.
constexpr int64_t kSaveEvery = 1 << 20;
constexpr auto kSaveInterval = std::chrono::seconds(1);

Error cancelled() {
  return make_error(Errc::kUnavailable, "the download was cancelled");
}

Status write_at(int fd, std::string_view data, int64_t offset) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), offset);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return make_error(Errc::kIo,
                        fmt::format("cannot write the download: {}", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
    offset += n;
  }
  return {};
}

std::string short_digest(const std::string& digest) {
  return digest.substr(7, 12);
}

}  // namespace

DownloadJob::DownloadJob(BlobRequest req) : req_(std::move(req)) {
  total_ = req_.size;
}

void DownloadJob::start(std::function<void()> on_end) {
  std::thread([self = shared_from_this(), on_end = std::move(on_end)] {
    Status st = self->run();
    if (!st.ok() && !self->cancel_) {
      log::warn("pulling {} failed: {}", short_digest(self->req_.digest), st.error().message);
    }
    on_end();
    std::lock_guard lock(self->mu_);
    self->result_ = std::move(st);
    self->done_ = true;
    self->cv_.notify_all();
  }).detach();
}

void DownloadJob::release() {
  std::lock_guard lock(jobs_mutex());
  if (--refs_ == 0) cancel_ = true;
}

void DownloadJob::wait_finished() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return done_; });
}

Status DownloadJob::wait(const DownloadProgress& progress) {
  std::unique_lock lock(mu_);
  while (!done_) {
    lock.unlock();
    bool go = progress(completed_, total_);
    lock.lock();
    if (!go) {
      lock.unlock();
      release();
      return cancelled();
    }
    cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return done_; });
  }
  Status result = result_;
  lock.unlock();
  if (result.ok()) progress(total_, total_);
  release();
  return result;
}

Status DownloadJob::run() {
  std::error_code ec;
  if (fs::exists(req_.blob_path, ec)) return {};  // another pull finished it meanwhile
  CRIA_RETURN_IF_ERROR(prepare());
  std::string partial = partial_path(req_.blob_path);
  int fd = ::open(partial.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  if (fd < 0) {
    return make_error(Errc::kIo, fmt::format("cannot open {}: {}", partial, std::strerror(errno)));
  }
  Status st;
  if (::ftruncate(fd, total_) != 0) {
    st = make_error(Errc::kIo,
                    fmt::format("cannot preallocate {}: {}", partial, std::strerror(errno)));
  }
  bool pending = std::any_of(parts_.begin(), parts_.end(), [](auto& p) { return !p.done(); });
  if (st.ok() && pending) {
    auto url = retrying([&] { return direct_url(); });
    st = url.ok() ? fetch_all(*url, fd) : Status(url.error());
  }
  ::close(fd);
  CRIA_RETURN_IF_ERROR(st);
  return finish();
}

Status DownloadJob::prepare() {
  auto saved = read_parts(req_.blob_path);
  std::error_code ec;
  if (saved.ok() && !saved->empty() && fs::exists(partial_path(req_.blob_path), ec)) {
    parts_ = std::move(*saved);
    int64_t total = 0, completed = 0;
    for (const auto& p : parts_) total += p.size, completed += p.completed;
    total_ = total;
    completed_ = completed;
    log::info("resuming {}: {} of {} bytes already here", short_digest(req_.digest), completed,
              total);
    return {};
  }
  if (!saved.ok()) log::warn("{}; starting the download over", saved.error().message);
  remove_partial(req_.blob_path);
  CRIA_ASSIGN_OR_RETURN(int64_t total, retrying([&] { return head_size(); }));
  total_ = total;
  parts_ = plan_parts(total, req_.options.part_size);
  for (const auto& p : parts_) CRIA_RETURN_IF_ERROR(write_part(req_.blob_path, p));
  if (!parts_.empty()) {
    log::info("downloading {} in {} part(s) of {} bytes", short_digest(req_.digest), parts_.size(),
              parts_[0].size);
  }
  return {};
}

Result<int64_t> DownloadJob::head_size() {
  Url url = req_.client->url("blobs/" + req_.digest);
  for (int i = 0; i <= kMaxRedirects; ++i) {
    HttpRequest r;
    r.method = "HEAD";
    r.url = url;
    CRIA_ASSIGN_OR_RETURN(HttpResponse res, req_.client->call(r));
    if (res.status >= 300 && res.status < 400 && !res.header("Location").empty()) {
      CRIA_ASSIGN_OR_RETURN(url, url.resolve(res.header("Location")));
      continue;
    }
    if (res.status >= 400) return status_error(res);
    std::string length = res.header("Content-Length");
    char* end = nullptr;
    long long n = std::strtoll(length.c_str(), &end, 10);
    if (!length.empty() && *end == '\0' && n >= 0) return static_cast<int64_t>(n);
    if (req_.size > 0) return req_.size;
    return make_error(Errc::kUnavailable,
                      fmt::format("the registry did not say how large {} is", req_.digest));
  }
  return make_error(Errc::kUnavailable, "maximum redirects exceeded (10)");
}

// Follows redirects on the registry's own host and stops at the first one to
// another host (a CDN): the parts are fetched from there.
Result<Url> DownloadJob::direct_url() {
  Url url = req_.client->url("blobs/" + req_.digest);
  const std::string home = url.hostname();
  for (int i = 0; i <= kMaxRedirects; ++i) {
    HttpRequest r;
    r.url = url;
    r.headers.emplace_back("Range", "bytes=0-0");  // a probe: no body worth sending
    r.on_headers = [](const HttpResponse& res) { return res.status >= 400; };
    HttpResponse got;
    auto res = req_.client->call(r, &got);
    if (res.ok()) got = std::move(*res);
    if (got.status == 0) return std::move(res).error();
    if (got.status >= 300 && got.status < 400 && !got.header("Location").empty()) {
      CRIA_ASSIGN_OR_RETURN(Url next, url.resolve(got.header("Location")));
      if (next.hostname() != home) return next;
      url = next;
      continue;
    }
    if (got.ok()) return url;
    return status_error(got);
  }
  return make_error(Errc::kUnavailable, "maximum redirects exceeded (10)");
}

Status DownloadJob::fetch_all(const Url& url, int fd) {
  std::vector<PartState*> pending;
  for (auto& p : parts_) {
    if (!p.done()) pending.push_back(&p);
  }
  std::atomic<size_t> next{0};
  std::mutex err_mu;
  Status first_error;
  auto worker = [&] {
    for (size_t i; !stopping() && (i = next++) < pending.size();) {
      Status st = fetch_part(*pending[i], url, fd);
      if (st.ok()) continue;
      std::lock_guard lock(err_mu);
      if (first_error.ok()) first_error = st;
      failed_ = true;
    }
  };
  size_t n = std::min<size_t>(pending.size(), std::max(1, req_.options.max_parallel));
  std::vector<std::thread> threads;
  for (size_t i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  if (cancel_) return cancelled();
  return first_error;
}

Status DownloadJob::fetch_part(PartState& part, const Url& url, int fd) {
  for (int attempt = 0;;) {
    int64_t before = part.completed;
    Status st = fetch_part_once(part, url, fd);
    if (Status saved = write_part(req_.blob_path, part); !saved.ok()) return saved;
    if (st.ok() && part.done()) return {};
    if (stopping()) return cancelled();
    if (!st.ok() && st.error().code != Errc::kUnavailable) return st;  // disk or bad data
    std::string why = st.ok() ? "the connection closed early" : st.error().message;
    if (part.completed > before) {
      attempt = 0;  // it moved: a dropped or stalled connection, not a dead link
    } else if (++attempt >= req_.options.max_retries) {
      return make_error(Errc::kUnavailable, fmt::format("max retries exceeded: {}", why));
    }
    log::info("{} part {} attempt {} failed: {}, retrying", short_digest(req_.digest), part.n,
              attempt, why);
    sleep_backoff(attempt);
  }
}

Status DownloadJob::fetch_part_once(PartState& part, const Url& url, int fd) {
  HttpRequest r;
  r.url = url;
  r.headers.emplace_back("Range",
                         fmt::format("bytes={}-{}", part.starts_at(), part.stops_at() - 1));
  const bool whole = part.starts_at() == 0 && part.size == total_;
  bool ranged = true;
  r.on_headers = [&](const HttpResponse& res) {
    ranged = res.status == 206 || (res.status == 200 && whole) || !res.ok();
    return ranged;
  };
  Status write_error;
  int64_t unsaved = 0;
  auto saved_at = std::chrono::steady_clock::now();
  r.on_body = [&](std::string_view data) {
    if (stopping()) return false;
    data = data.substr(0, static_cast<size_t>(part.size - part.completed));
    write_error = write_at(fd, data, part.starts_at());
    if (!write_error.ok()) return false;
    auto n = static_cast<int64_t>(data.size());
    part.completed += n;
    completed_ += n;
    unsaved += n;
    auto now = std::chrono::steady_clock::now();
    if (unsaved >= kSaveEvery || now - saved_at >= kSaveInterval) {
      unsaved = 0;
      saved_at = now;
      write_error = write_part(req_.blob_path, part);
    }
    return write_error.ok() && !part.done();
  };
  auto res = req_.client->call(r);
  CRIA_RETURN_IF_ERROR(write_error);
  if (!ranged) {
    return make_error(Errc::kUnsupported, "the registry ignored a ranged request");
  }
  if (!res.ok()) {
    // Stopped by on_body once the part was complete: that is success.
    return part.done() ? Status() : Status(std::move(res).error());
  }
  if (!res->ok()) return status_error(*res);
  return {};
}

Status DownloadJob::finish() {
  std::string partial = partial_path(req_.blob_path);
  CRIA_ASSIGN_OR_RETURN(store::Digest got, store::sha256_file(partial));
  CRIA_ASSIGN_OR_RETURN(store::Digest want, store::Digest::parse(req_.digest));
  if (!(got == want)) {
    remove_partial(req_.blob_path);
    return make_error(Errc::kCorrupt,
                      fmt::format("digest mismatch, file must be downloaded again: want {}, got {}",
                                  want.str(), got.str()));
  }
  std::error_code ec;
  fs::rename(partial, req_.blob_path, ec);
  if (ec) {
    return make_error(Errc::kIo, fmt::format("cannot rename {}: {}", partial, ec.message()));
  }
  remove_partial(req_.blob_path);
  return {};
}

void DownloadJob::sleep_backoff(int attempt) {
  auto wait = req_.options.backoff * (1 << std::min(attempt, 10));
  wait = std::min(wait, req_.options.max_backoff);
  auto until = std::chrono::steady_clock::now() + wait;
  while (!stopping() && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace cria::registry
