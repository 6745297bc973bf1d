#include "base/fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

namespace cria {

namespace {

class FdSink final : public FileSink {
 public:
  FdSink(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  Status write(std::span<const uint8_t> bytes) override {
    const uint8_t* p = bytes.data();
    size_t left = bytes.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return make_error(Errc::kIo, fmt::format("cannot write {}: {}", path_,
                                                 std::strerror(n < 0 ? errno : EIO)));
      }
      p += n;
      left -= static_cast<size_t>(n);
      written_ += static_cast<uint64_t>(n);
    }
    return {};
  }
  uint64_t written() const override { return written_; }

 private:
  int fd_;
  std::string path_;
  uint64_t written_ = 0;
};

Status errno_error(const char* what, const std::string& path) {
  return make_error(Errc::kIo, fmt::format("cannot {} {}: {}", what, path, std::strerror(errno)));
}

// Makes the rename durable; failure here is not fatal (some filesystems refuse).
void sync_parent_dir(const std::string& path) {
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  if (dir.empty()) dir = ".";
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return;
  (void)fsync(dfd);
  ::close(dfd);
}

}  // namespace

Status write_file_atomic(const std::string& path, const std::function<Status(FileSink&)>& fill) {
  std::string tmp = path + ".tmp-XXXXXX";
  int fd = mkstemp(tmp.data());
  if (fd < 0) return errno_error("create a temporary file for", path);
  FdSink sink(fd, tmp);
  Status st = fill(sink);
  if (st.ok() && fchmod(fd, 0644) != 0) st = errno_error("chmod", tmp);
  if (st.ok() && fsync(fd) != 0) st = errno_error("fsync", tmp);
  if (::close(fd) != 0 && st.ok()) st = errno_error("close", tmp);
  if (st.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    st = errno_error("rename into place", path);
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  sync_parent_dir(path);
  return st;
}

}  // namespace cria
