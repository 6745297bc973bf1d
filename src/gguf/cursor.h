// Bounds-checked sequential reads over a byte span (internal to gguf/).
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/core.h>

#include "base/result.h"

namespace cria::gguf::detail {

class Cursor {
 public:
  Cursor(std::span<const uint8_t> bytes, const std::string& name) : bytes_(bytes), name_(name) {}

  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return bytes_.size() - pos_; }

  template <class T>
  Result<T> read(std::string_view what) {
    static_assert(std::is_trivially_copyable_v<T>);
    if (remaining() < sizeof(T)) return truncated(what, sizeof(T));
    T v;
    std::memcpy(&v, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }

  // Takes n bytes and returns where they start.
  Result<const uint8_t*> take(uint64_t n, std::string_view what) {
    if (remaining() < n) return truncated(what, n);
    const uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }

  // A GGUF string: uint64 length, then that many bytes (not NUL-terminated).
  Result<std::string_view> read_string(std::string_view what) {
    CRIA_ASSIGN_OR_RETURN(uint64_t len, read<uint64_t>(what));
    CRIA_ASSIGN_OR_RETURN(const uint8_t* p, take(len, what));
    return std::string_view(reinterpret_cast<const char*>(p), len);
  }

  Error unsupported(std::string_view message) const {
    return make_error(Errc::kUnsupported, fmt::format("{}: {}", name_, message));
  }

  Error corrupt(std::string_view message) const {
    return make_error(Errc::kCorrupt,
                      fmt::format("{}: invalid GGUF: {} (at byte {})", name_, message, pos_));
  }

 private:
  Error truncated(std::string_view what, uint64_t need) const {
    return make_error(Errc::kCorrupt,
                      fmt::format("{}: truncated GGUF: {} needs {} bytes at byte {}, but only {} "
                                  "remain (file size {})",
                                  name_, what, need, pos_, remaining(), bytes_.size()));
  }

  std::span<const uint8_t> bytes_;
  const std::string& name_;
  uint64_t pos_ = 0;
};

}  // namespace cria::gguf::detail
