// Pulling one blob (Ollama's server/download.go): its size from HEAD, the bytes
// in parallel ranged parts from the URL the registry redirects to (same-host
// redirects followed, a cross-host one, a CDN, taken as is), written into a
// preallocated partial file with per-part state (parts.h), so an interrupted
// pull resumes. A part whose connection fails or stalls is retried with
// backoff. The finished file is hashed and gets the blob's name only when its
// sha256 matches; on a mismatch it is deleted.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "registry/client.h"

namespace cria::registry {

struct DownloadOptions {
  int64_t part_size = 0;                    // 0: Ollama's 16 parts of 100 MB to 1 GB
  int max_parallel = 16;                    // parts in flight
  int max_retries = 6;                      // failed attempts in a row (without progress) per part
  std::chrono::milliseconds backoff{1000};  // attempt n waits backoff * 2^n
  std::chrono::milliseconds max_backoff{30000};
};

struct BlobRequest {
  std::shared_ptr<RegistryClient> client;
  std::string digest;     // sha256:<hex>
  int64_t size = 0;       // from the manifest: the total shown until HEAD answers
  std::string blob_path;  // the store's path for the blob
  DownloadOptions options;
};

// completed and total bytes; returning false stops waiting (the caller left).
using DownloadProgress = std::function<bool(int64_t completed, int64_t total)>;

// Downloads the blob unless it is already there. Callers asking for the same
// blob path at once share one download; when none of them waits any more it
// stops, and its saved parts let the next pull resume.
Status download_blob(const BlobRequest& req, const DownloadProgress& progress);

}  // namespace cria::registry
