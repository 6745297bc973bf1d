#include "server/gguf_cache.h"

#include <sys/stat.h>

#include <list>
#include <mutex>

namespace cria::server {

namespace {

constexpr size_t kMaxEntries = 8;

struct Entry {
  std::string path;
  off_t size = 0;
  struct timespec mtime {};
  std::shared_ptr<const gguf::File> file;
};

bool same(const struct stat& st, const Entry& e) {
  return st.st_size == e.size && st.st_mtim.tv_sec == e.mtime.tv_sec &&
         st.st_mtim.tv_nsec == e.mtime.tv_nsec;
}

}  // namespace

Result<std::shared_ptr<const gguf::File>> open_gguf_cached(const std::string& path) {
  static std::mutex mu;
  static std::list<Entry> entries;  // most recently used first
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return gguf::File::open(path).error();
  {
    std::lock_guard<std::mutex> lock(mu);
    for (auto it = entries.begin(); it != entries.end(); ++it) {
      if (it->path != path) continue;
      if (same(st, *it)) {
        entries.splice(entries.begin(), entries, it);
        return entries.front().file;
      }
      entries.erase(it);
      break;
    }
  }
  CRIA_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(path));
  auto shared = std::make_shared<const gguf::File>(std::move(file));
  std::lock_guard<std::mutex> lock(mu);
  entries.push_front(Entry{path, st.st_size, st.st_mtim, shared});
  if (entries.size() > kMaxEntries) entries.pop_back();
  return shared;
}

}  // namespace cria::server
