#include "store/store_fs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/core.h>

namespace cria::store {

namespace fs = std::filesystem;

namespace {

Error errno_error(const char* what, const std::string& path, int err) {
  return make_error(err == ENOENT ? Errc::kNotFound : Errc::kIo,
                    fmt::format("cannot {} {}: {}", what, path, std::strerror(err)));
}

std::chrono::system_clock::time_point mtime_of(const struct stat& st) {
  auto d = std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec);
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(d));
}

std::vector<std::string> subdirs(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code ec2;
    if (it->is_directory(ec2) && !it->is_symlink(ec2))
      out.push_back(it->path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

bool is_temp_name(const std::string& name) {
  size_t i = name.rfind(".tmp-");
  return i != std::string::npos && name.size() - i == 11;
}

}  // namespace

Status make_dirs(const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    return make_error(Errc::kIo, fmt::format("cannot create directory {}: {}", dir, ec.message()));
  }
  return {};
}

Result<FileInfo> file_info(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return errno_error("stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return make_error(Errc::kNotFound, fmt::format("{} is not a regular file", path));
  }
  FileInfo info;
  info.name = fs::path(path).filename().string();
  info.size = static_cast<int64_t>(st.st_size);
  info.modified = mtime_of(st);
  return info;
}

void touch(const std::string& path) {
  (void)::utimensat(AT_FDCWD, path.c_str(), nullptr, 0);
}

Result<std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open", path, errno);
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return errno_error("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

Status copy_file_into(const std::string& path, FileSink& sink) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open", path, errno);
  std::vector<uint8_t> buf(1 << 20);
  Status st;
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = errno_error("read", path, errno);
      break;
    }
    if (n == 0) break;
    st = sink.write({buf.data(), static_cast<size_t>(n)});
    if (!st.ok()) break;
  }
  ::close(fd);
  return st;
}

Status remove_file(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return errno_error("remove", path, errno);
  return {};
}

std::vector<FileInfo> list_files(const std::string& dir) {
  std::vector<FileInfo> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto info = file_info(it->path().string());
    if (info.ok()) out.push_back(std::move(*info));
  }
  std::sort(out.begin(), out.end(),
            [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
  return out;
}

std::vector<Name> list_manifest_names(const std::string& manifests_dir) {
  std::vector<Name> out;
  for (const auto& host : subdirs(manifests_dir)) {
    std::string h = manifests_dir + "/" + host;
    for (const auto& ns : subdirs(h)) {
      std::string n = h + "/" + ns;
      for (const auto& model : subdirs(n)) {
        for (const auto& f : list_files(n + "/" + model)) {
          if (is_temp_name(f.name)) continue;
          auto name = Name::from_relative_path(host + "/" + ns + "/" + model + "/" + f.name);
          if (name.ok()) out.push_back(std::move(*name));
        }
      }
    }
  }
  return out;
}

void remove_empty_subdirs(const std::string& dir) {
  for (const auto& sub : subdirs(dir)) {
    std::string path = dir + "/" + sub;
    remove_empty_subdirs(path);
    std::error_code ec;
    if (fs::is_empty(path, ec) && !ec) fs::remove(path, ec);
  }
}

int remove_manifest_temp_files(const std::string& manifests_dir,
                               std::chrono::system_clock::time_point cutoff) {
  int removed = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(manifests_dir, ec), end; !ec && it != end;
       it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (!is_temp_name(name)) continue;
    auto info = file_info(it->path().string());
    if (info.ok() && info->modified <= cutoff && remove_file(it->path().string()).ok()) ++removed;
  }
  return removed;
}

}  // namespace cria::store
