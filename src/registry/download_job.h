// The shared, background download of one blob (internal to download.cc).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "registry/download.h"
#include "registry/parts.h"

namespace cria::registry {

// Guards the table of running jobs and every job's reference count.
std::mutex& jobs_mutex();

class DownloadJob : public std::enable_shared_from_this<DownloadJob> {
 public:
  explicit DownloadJob(BlobRequest req);

  // Runs on a thread of its own; `on_end` is called when all file work is done.
  void start(std::function<void()> on_end);
  // Both under jobs_mutex(); the last caller to leave cancels the download.
  void acquire() { ++refs_; }
  void release();
  bool cancelling() const { return cancel_; }
  void wait_finished();
  // Reports progress about ten times a second until the job ends or `progress`
  // returns false; releases the caller's reference.
  Status wait(const DownloadProgress& progress);

 private:
  Status run();
  Status prepare();
  Result<int64_t> head_size();
  Result<Url> direct_url();
  Status fetch_all(const Url& url, int fd);
  Status fetch_part(PartState& part, const Url& url, int fd);
  Status fetch_part_once(PartState& part, const Url& url, int fd);
  Status finish();
  bool stopping() const { return cancel_ || failed_; }
  // Calls `f` until it succeeds, fails for good (not kUnavailable) or has
  // failed max_retries times, with backoff in between.
  template <class F>
  auto retrying(F f) -> decltype(f()) {
    for (int attempt = 0;;) {
      auto r = f();
      if (r.ok() || r.error().code != Errc::kUnavailable || stopping() ||
          ++attempt >= req_.options.max_retries) {
        return r;
      }
      sleep_backoff(attempt);
    }
  }
  void sleep_backoff(int attempt);

  BlobRequest req_;
  std::vector<PartState> parts_;
  std::atomic<int64_t> total_{0};
  std::atomic<int64_t> completed_{0};
  std::atomic<bool> cancel_{false};
  std::atomic<bool> failed_{false};
  std::atomic<int> refs_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  Status result_;
};

}  // namespace cria::registry
