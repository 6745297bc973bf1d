// Pushing one blob (Ollama's server/upload.go): HEAD (already there: done),
// POST .../blobs/uploads/ (a cross-repository mount when the layer came from
// another model: 201, done), PATCH the parts in order to the upload URL each
// answer names (a 307 sends a part to the URL it redirects to), then PUT
// ...?digest= to commit.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "registry/client.h"
#include "store/manifest.h"

namespace cria::registry {

struct UploadOptions {
  int64_t part_size = 0;  // 0: Ollama's 16 parts of 100 MB to 1 GB
  int max_retries = 6;
  std::chrono::milliseconds backoff{1000};
};

struct UploadRequest {
  std::shared_ptr<RegistryClient> client;
  store::Layer layer;
  std::string blob_path;
  UploadOptions options;
};

// completed and total bytes; returning false cancels the upload.
using UploadProgress = std::function<bool(int64_t completed, int64_t total)>;

Status upload_blob(const UploadRequest& req, const UploadProgress& progress);

}  // namespace cria::registry
