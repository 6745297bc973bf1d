#include "runner/compute_gate.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

namespace cria::runner {

Result<ComputeGate> ComputeGate::open(const std::string& path) {
  if (path.empty()) return ComputeGate(-1);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return make_error(
        Errc::kIo, fmt::format("cannot open the compute lock {}: {}", path, std::strerror(errno)));
  }
  return ComputeGate(fd);
}

ComputeGate::ComputeGate(ComputeGate&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

ComputeGate::~ComputeGate() {
  if (fd_ >= 0) ::close(fd_);
}

ComputeGate::Turn::Turn(const ComputeGate& gate) : fd_(gate.fd_) {
  if (fd_ < 0) return;
  while (flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
  }
}

ComputeGate::Turn::~Turn() {
  if (fd_ >= 0) flock(fd_, LOCK_UN);
}

}  // namespace cria::runner
