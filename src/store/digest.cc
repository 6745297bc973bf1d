#include "store/digest.h"

#include <openssl/evp.h>

#include <cassert>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <fmt/core.h>

namespace cria::store {

namespace {

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

}  // namespace

bool Digest::is_valid(std::string_view s) {
  if (s.size() != 71 || s.substr(0, 6) != "sha256" || (s[6] != ':' && s[6] != '-')) return false;
  for (char c : s.substr(7)) {
    if (!is_hex(c)) return false;
  }
  return true;
}

Result<Digest> Digest::parse(std::string_view s) {
  if (!is_valid(s)) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("invalid digest \"{}\": expected sha256:<64 hex digits>", s));
  }
  Digest d;
  d.hex_.reserve(64);
  for (char c : s.substr(7))
    d.hex_ += (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
  return d;
}

Digest Digest::from_bytes(std::span<const uint8_t, 32> bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  Digest d;
  d.hex_.reserve(64);
  for (uint8_t b : bytes) {
    d.hex_ += kHex[b >> 4];
    d.hex_ += kHex[b & 15];
  }
  return d;
}

struct Sha256::Ctx {
  EVP_MD_CTX* md = nullptr;
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  ctx_->md = EVP_MD_CTX_new();
  // Only fails when out of memory or when OpenSSL lacks SHA-256: not recoverable.
  [[maybe_unused]] int ok = ctx_->md && EVP_DigestInit_ex(ctx_->md, EVP_sha256(), nullptr);
  assert(ok);
}

Sha256::~Sha256() {
  if (ctx_ && ctx_->md) EVP_MD_CTX_free(ctx_->md);
}

void Sha256::update(std::span<const uint8_t> bytes) {
  if (!bytes.empty()) EVP_DigestUpdate(ctx_->md, bytes.data(), bytes.size());
}

void Sha256::update(std::string_view text) {
  if (!text.empty()) EVP_DigestUpdate(ctx_->md, text.data(), text.size());
}

Digest Sha256::finish() {
  uint8_t out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(ctx_->md, out, &n);
  assert(n == 32);
  return Digest::from_bytes(std::span<const uint8_t, 32>(out, 32));
}

Digest sha256_of(std::string_view bytes) {
  Sha256 h;
  h.update(bytes);
  return h.finish();
}

Result<Digest> sha256_file(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return make_error(errno == ENOENT ? Errc::kNotFound : Errc::kIo,
                      fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  Sha256 h;
  std::vector<uint8_t> buf(1 << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) h.update({buf.data(), n});
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return make_error(Errc::kIo, fmt::format("cannot read {}", path));
  return h.finish();
}

}  // namespace cria::store
