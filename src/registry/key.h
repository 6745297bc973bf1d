// The ed25519 identity Ollama keeps in ~/.ollama/id_ed25519: an unencrypted
// OpenSSH private key ("-----BEGIN OPENSSH PRIVATE KEY-----"), with the public
// key beside it in id_ed25519.pub ("ssh-ed25519 AAAA..."). A registry token
// request carries "<public key>:<signature>" (both base64) in its
// Authorization header, the public key in SSH wire format without its type prefix.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace cria::registry {

class SigningKey {
 public:
  static Result<SigningKey> generate();
  static Result<SigningKey> from_seed(std::string_view seed32);
  // Parses an unencrypted OpenSSH ed25519 private key.
  static Result<SigningKey> parse_openssh(std::string_view pem);
  // Reads `path`; when it does not exist, creates the key pair (path and
  // path.pub, mode 0600/0644) as `ollama serve` does.
  static Result<SigningKey> load_or_create(const std::string& path);

  std::string openssh_pem() const;
  // "ssh-ed25519 <base64 wire key>" (the .pub file's line, without a newline).
  std::string authorized_key() const;
  // base64 of the SSH wire public key.
  std::string public_key_base64() const;
  // The 64-byte ed25519 signature of `data`.
  Result<std::string> sign(std::string_view data) const;
  // "<public_key_base64>:<base64 signature>", Ollama's auth.Sign.
  Result<std::string> authorization(std::string_view data) const;

 private:
  std::array<uint8_t, 32> seed_{};
  std::array<uint8_t, 32> public_{};
};

// Checks an Authorization value made by SigningKey::authorization (what a
// registry does); returns the "ssh-ed25519 ..." key that signed it.
Result<std::string> verify_authorization(std::string_view authorization, std::string_view data);

}  // namespace cria::registry
