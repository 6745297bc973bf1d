#include "registry/key.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fmt/core.h>

#include "base/base64.h"
#include "registry/ssh_wire.h"

namespace cria::registry {

namespace {

constexpr std::string_view kKeyType = "ssh-ed25519";
constexpr std::string_view kPemBegin = "-----BEGIN OPENSSH PRIVATE KEY-----";
constexpr std::string_view kPemEnd = "-----END OPENSSH PRIVATE KEY-----";
constexpr std::string_view kMagic{"openssh-key-v1\0", 15};

using PkeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)>;

std::string_view as_chars(const std::array<uint8_t, 32>& a) {
  return {reinterpret_cast<const char*>(a.data()), a.size()};
}

std::string wire_public_key(std::string_view pub) {
  WireWriter w;
  w.string(kKeyType);
  w.string(pub);
  return w.take();
}

Error bad_key(std::string_view why) {
  return make_error(Errc::kCorrupt, fmt::format("invalid OpenSSH ed25519 key: {}", why));
}

// The private section: check ints, key type, public key, seed+public, comment, padding.
Result<std::string> read_private_section(std::string_view section) {
  WireReader r(section);
  auto check1 = r.u32(), check2 = r.u32();
  if (!check1 || !check2 || *check1 != *check2) return bad_key("the check numbers differ");
  auto type = r.string();
  if (!type || *type != kKeyType) return bad_key("not an ssh-ed25519 key");
  auto pub = r.string();
  auto priv = r.string();
  if (!pub || !priv || pub->size() != 32 || priv->size() != 64) return bad_key("bad key sizes");
  return std::string(priv->substr(0, 32));
}

Result<std::string> decode_pem(std::string_view pem) {
  size_t b = pem.find(kPemBegin), e = pem.find(kPemEnd);
  if (b == std::string_view::npos || e == std::string_view::npos || e < b) {
    return bad_key("no OPENSSH PRIVATE KEY block");
  }
  std::string text;
  for (char c : pem.substr(b + kPemBegin.size(), e - b - kPemBegin.size())) {
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t') text += c;
  }
  auto bytes = base64_decode(text);
  if (!bytes) return bad_key("bad base64");
  return std::move(*bytes);
}

// Created with `mode` from the start (a private key is never readable by others).
Status write_new_file(const std::string& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) {
    return make_error(Errc::kIo, fmt::format("cannot create {}: {}", path, std::strerror(errno)));
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ok = ::close(fd) == 0 && ok;
  if (!ok) return make_error(Errc::kIo, fmt::format("cannot write {}", path));
  return {};
}

}  // namespace

Result<SigningKey> SigningKey::from_seed(std::string_view seed32) {
  if (seed32.size() != 32) return bad_key("the seed is not 32 bytes");
  PkeyPtr pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr,
                                   reinterpret_cast<const unsigned char*>(seed32.data()), 32),
      EVP_PKEY_free);
  if (!pkey) return make_error(Errc::kInternal, "OpenSSL cannot make an ed25519 key");
  SigningKey k;
  std::memcpy(k.seed_.data(), seed32.data(), 32);
  size_t n = 32;
  if (EVP_PKEY_get_raw_public_key(pkey.get(), k.public_.data(), &n) != 1 || n != 32) {
    return make_error(Errc::kInternal, "OpenSSL cannot derive the ed25519 public key");
  }
  return k;
}

Result<SigningKey> SigningKey::generate() {
  std::array<uint8_t, 32> seed{};
  if (RAND_bytes(seed.data(), static_cast<int>(seed.size())) != 1) {
    return make_error(Errc::kInternal, "no random bytes for a new key");
  }
  return from_seed(as_chars(seed));
}

Result<SigningKey> SigningKey::parse_openssh(std::string_view pem) {
  CRIA_ASSIGN_OR_RETURN(std::string bytes, decode_pem(pem));
  if (std::string_view(bytes).substr(0, kMagic.size()) != kMagic) return bad_key("bad magic");
  WireReader r(std::string_view(bytes).substr(kMagic.size()));
  auto cipher = r.string(), kdf = r.string(), kdf_opts = r.string();
  auto nkeys = r.u32();
  if (!cipher || !kdf || !kdf_opts || !nkeys) return bad_key("truncated header");
  if (*cipher != "none") {
    return make_error(Errc::kUnsupported, "the private key is encrypted with a passphrase");
  }
  if (*nkeys != 1) return bad_key("more than one key");
  auto pub = r.string(), section = r.string();
  if (!pub || !section) return bad_key("truncated key");
  CRIA_ASSIGN_OR_RETURN(std::string seed, read_private_section(*section));
  return from_seed(seed);
}

Result<SigningKey> SigningKey::load_or_create(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return make_error(Errc::kIo, fmt::format("cannot read the key {}", path));
    std::string text;
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
    auto key = parse_openssh(text);
    if (!key.ok()) return make_error(key.error().code, path + ": " + key.error().message);
    return key;
  }
  CRIA_ASSIGN_OR_RETURN(SigningKey key, generate());
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (Status st = write_new_file(path, key.openssh_pem(), 0600); !st.ok()) {
    if (std::filesystem::exists(path, ec)) return load_or_create(path);  // made meanwhile
    return std::move(st).error();
  }
  std::filesystem::remove(path + ".pub", ec);
  CRIA_RETURN_IF_ERROR(write_new_file(path + ".pub", key.authorized_key() + "\n", 0644));
  return key;
}

std::string SigningKey::openssh_pem() const {
  WireWriter section;
  uint32_t check = 0;
  RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check);
  section.u32(check);
  section.u32(check);
  section.string(kKeyType);
  section.string(as_chars(public_));
  section.string(std::string(as_chars(seed_)) + std::string(as_chars(public_)));
  section.string("");  // comment
  for (uint8_t pad = 1; section.size() % 8 != 0; ++pad) section.byte(pad);
  WireWriter w;
  w.raw(kMagic);
  w.string("none");
  w.string("none");
  w.string("");
  w.u32(1);
  w.string(wire_public_key(as_chars(public_)));
  w.string(section.take());
  std::string b64 = base64_encode(w.take());
  std::string out = std::string(kPemBegin) + "\n";
  for (size_t i = 0; i < b64.size(); i += 64) out += b64.substr(i, 64) + "\n";
  return out + std::string(kPemEnd) + "\n";
}

std::string SigningKey::public_key_base64() const {
  return base64_encode(wire_public_key(as_chars(public_)));
}

std::string SigningKey::authorized_key() const {
  return std::string(kKeyType) + " " + public_key_base64();
}

Result<std::string> SigningKey::sign(std::string_view data) const {
  PkeyPtr pkey(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed_.data(), seed_.size()),
               EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::string sig(64, '\0');
  size_t n = sig.size();
  if (!pkey || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    return make_error(Errc::kInternal, "OpenSSL cannot sign with the ed25519 key");
  }
  return sig;
}

Result<std::string> SigningKey::authorization(std::string_view data) const {
  CRIA_ASSIGN_OR_RETURN(std::string sig, sign(data));
  return public_key_base64() + ":" + base64_encode(sig);
}

Result<std::string> verify_authorization(std::string_view authorization, std::string_view data) {
  size_t colon = authorization.find(':');
  auto wire = base64_decode(authorization.substr(0, colon));
  auto sig = colon == std::string_view::npos ? std::nullopt
                                             : base64_decode(authorization.substr(colon + 1));
  if (!wire || !sig || sig->size() != 64) {
    return make_error(Errc::kInvalidArgument, "malformed authorization");
  }
  WireReader r(*wire);
  auto type = r.string();
  auto pub = r.string();
  if (!type || *type != kKeyType || !pub || pub->size() != 32) {
    return make_error(Errc::kInvalidArgument, "not an ssh-ed25519 public key");
  }
  PkeyPtr pkey(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                           reinterpret_cast<const unsigned char*>(pub->data()), 32),
               EVP_PKEY_free);
  MdCtxPtr ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  bool ok = pkey && ctx &&
            EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, pkey.get()) == 1 &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig->data()), 64,
                             reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (!ok) return make_error(Errc::kInvalidArgument, "the signature does not verify");
  return std::string(kKeyType) + " " + base64_encode(*wire);
}

}  // namespace cria::registry
