// SSH wire encoding (RFC 4251): big-endian uint32 and length-prefixed strings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cria::registry {

class WireWriter {
 public:
  void u32(uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) out_ += static_cast<char>((v >> s) & 0xff);
  }
  void string(std::string_view s) {
    u32(static_cast<uint32_t>(s.size()));
    out_ += s;
  }
  void raw(std::string_view s) { out_ += s; }
  void byte(uint8_t b) { out_ += static_cast<char>(b); }
  size_t size() const { return out_.size(); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}
  std::optional<uint32_t> u32() {
    if (in_.size() < 4) return std::nullopt;
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(in_[i]);
    in_.remove_prefix(4);
    return v;
  }
  std::optional<std::string_view> string() {
    auto n = u32();
    if (!n || in_.size() < *n) return std::nullopt;
    std::string_view s = in_.substr(0, *n);
    in_.remove_prefix(*n);
    return s;
  }

 private:
  std::string_view in_;
};

}  // namespace cria::registry
