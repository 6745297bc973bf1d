// sha256 digests as the store spells them: "sha256:<64 hex>" in manifests and
// the API, "sha256-<64 hex>" as a blob's file name.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cria::store {

class Digest {
 public:
  Digest() = default;
  // Accepts "sha256:<hex>" or "sha256-<hex>" (64 hex digits, either case; kept lower-case).
  static Result<Digest> parse(std::string_view s);
  static bool is_valid(std::string_view s);
  // From 32 raw bytes.
  static Digest from_bytes(std::span<const uint8_t, 32> bytes);

  const std::string& hex() const { return hex_; }
  std::string str() const { return "sha256:" + hex_; }        // sha256:<hex>
  std::string file_name() const { return "sha256-" + hex_; }  // sha256-<hex>
  bool empty() const { return hex_.empty(); }

  friend bool operator==(const Digest& a, const Digest& b) { return a.hex_ == b.hex_; }
  friend bool operator<(const Digest& a, const Digest& b) { return a.hex_ < b.hex_; }

 private:
  std::string hex_;
};

// Incremental SHA-256 (OpenSSL EVP).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::span<const uint8_t> bytes);
  void update(std::string_view text);
  // Finishes the hash; the object must not be updated afterwards.
  Digest finish();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

Digest sha256_of(std::string_view bytes);
// Hashes a file by streaming it; the error names the file.
Result<Digest> sha256_file(const std::string& path);

}  // namespace cria::store
