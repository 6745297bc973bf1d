// The CLI's HTTP client for the server's API (OLLAMA_HOST).
#pragma once

#include <functional>
#include <string>

#include "api/options.h"
#include "base/config.h"
#include "base/result.h"

namespace cria::cli {

using api::Json;

class Client {
 public:
  explicit Client(const HostAddr& host) : host_(host) {}

  // Whether a server answers on the address.
  bool ping() const;
  Result<Json> get(const std::string& path) const;
  // POST with a JSON body; the reply's JSON (an empty object for an empty body).
  Result<Json> post(const std::string& path, const Json& body) const;
  Status del(const std::string& path, const Json& body) const;
  // POST whose reply is NDJSON: each object goes to on_line (false stops);
  // a line with "error" ends the stream with that error.
  Status stream(const std::string& path, const Json& body,
                const std::function<bool(const Json&)>& on_line) const;
  // HEAD /api/blobs/<digest>: whether the server has the blob.
  Result<bool> has_blob(const std::string& digest) const;
  // Uploads a file as a blob; progress(bytes sent, total).
  Status upload_blob(const std::string& digest, const std::string& path,
                     const std::function<void(uint64_t, uint64_t)>& progress) const;

  const HostAddr& host() const { return host_; }

 private:
  HostAddr host_;
};

}  // namespace cria::cli
