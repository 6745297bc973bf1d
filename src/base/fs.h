// File-system helpers with the durability rules of the model store.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "base/result.h"

namespace cria {

// Appends bytes to an open file, or fails with an errno-based message.
class FileSink {
 public:
  virtual ~FileSink() = default;
  virtual Status write(std::span<const uint8_t> bytes) = 0;
  virtual uint64_t written() const = 0;
};

// Writes `path` atomically: `fill` writes into a temporary file beside it,
// which is fsynced and renamed over `path` only if `fill` succeeds. On any
// failure the temporary file is removed and `path` is left as it was.
Status write_file_atomic(const std::string& path, const std::function<Status(FileSink&)>& fill);

}  // namespace cria
