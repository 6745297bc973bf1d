#include "registry/download.h"

#include <filesystem>
#include <map>

#include "registry/download_job.h"

namespace cria::registry {

namespace {

std::map<std::string, std::shared_ptr<DownloadJob>>& jobs() {
  static auto* m = new std::map<std::string, std::shared_ptr<DownloadJob>>();
  return *m;
}

// The running job for this blob, joined, or a new one started.
std::shared_ptr<DownloadJob> join_or_start(const BlobRequest& req) {
  while (true) {
    std::unique_lock lock(jobs_mutex());
    auto it = jobs().find(req.blob_path);
    if (it == jobs().end()) {
      auto job = std::make_shared<DownloadJob>(req);
      jobs()[req.blob_path] = job;
      job->acquire();
      std::string key = req.blob_path;
      job->start([key, raw = job.get()] {
        std::lock_guard l(jobs_mutex());
        auto found = jobs().find(key);
        if (found != jobs().end() && found->second.get() == raw) jobs().erase(found);
      });
      return job;
    }
    if (!it->second->cancelling()) {
      it->second->acquire();
      return it->second;
    }
    // Everyone left that one: let it save its parts, then resume from them.
    auto old = it->second;
    lock.unlock();
    old->wait_finished();
  }
}

}  // namespace

std::mutex& jobs_mutex() {
  static auto* mu = new std::mutex();
  return *mu;
}

Status download_blob(const BlobRequest& req, const DownloadProgress& progress) {
  std::error_code ec;
  if (auto size = std::filesystem::file_size(req.blob_path, ec); !ec) {
    progress(static_cast<int64_t>(size), static_cast<int64_t>(size));
    return {};
  }
  return join_or_start(req)->wait(progress);
}

}  // namespace cria::registry
