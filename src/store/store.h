// The model store, laid out exactly as Ollama lays it out under its models
// directory (OLLAMA_MODELS, passed in by the caller):
//   manifests/<host>/<namespace>/<model>/<tag>   a manifest (JSON)
//   blobs/sha256-<hex>                           content-addressed layers
// A store written by Ollama is readable here and the reverse.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/fs.h"
#include "base/result.h"
#include "store/digest.h"
#include "store/manifest.h"
#include "store/name.h"

namespace cria::store {

using Clock = std::chrono::system_clock;

// A manifest read from disk.
struct StoredManifest {
  Name name;  // as spelled on disk
  Manifest manifest;
  std::string digest;  // sha256 hex of the manifest file's bytes (Ollama's model ID)
  Clock::time_point modified;
  std::string path;
};

// One row of `ollama list` / GET /api/tags.
struct ListEntry {
  Name name;
  std::string digest;  // manifest digest (hex)
  int64_t size = 0;    // layers + config
  Clock::time_point modified;
  ModelConfig config;        // default values when the config blob is missing or unreadable
  std::string parent_model;  // the model layer's "from"
};

struct PruneOptions {
  // Blobs and leftover temporary files younger than this are kept: another
  // process may still be writing the manifest that will use them (Ollama: 1h).
  std::chrono::seconds grace{3600};
};

struct PruneReport {
  int blobs_removed = 0;
  int temp_files_removed = 0;
  uint64_t bytes_freed = 0;
};

class Store {
 public:
  // `root` is the models directory; manifests/ and blobs/ are created on first write.
  explicit Store(std::string root);

  const std::string& root() const { return root_; }
  std::string manifests_dir() const;
  std::string blobs_dir() const;
  std::string blob_path(const Digest& d) const;
  std::string manifest_path(const Name& n) const;

  // ---- blobs ----
  bool has_blob(const Digest& d) const;
  Result<int64_t> blob_size(const Digest& d) const;
  // Writes a blob: `fill` streams the bytes into a temporary file in blobs/
  // while they are hashed; the file is renamed into place only if it hashes
  // to `expected`. On a mismatch or any error nothing is left behind.
  Status write_blob(const Digest& expected, const std::function<Status(FileSink&)>& fill);
  // Hashes `bytes` and stores them; returns the digest. `existed` tells
  // whether the blob was already there.
  Result<Digest> write_blob_bytes(std::string_view bytes, bool* existed = nullptr);
  // Hashes a local file, then copies it in as a blob (no-op if present).
  Result<Digest> import_file(const std::string& path);
  Result<std::string> read_blob(const Digest& d) const;

  // ---- manifests ----
  // The stored spelling of a name that matches case-insensitively, or `n` itself.
  Name canonical(const Name& n) const;
  // NotFound when there is no such model (matching case-insensitively).
  Result<StoredManifest> read_manifest(const Name& n) const;
  Status write_manifest(const Name& n, const Manifest& m);
  // Writes a manifest's bytes as they are (a pulled manifest keeps its digest).
  Status write_manifest_bytes(const Name& n, std::string_view bytes);
  // Every readable manifest; unreadable ones are skipped with a warning.
  Result<std::vector<StoredManifest>> manifests() const;
  Result<std::vector<ListEntry>> list() const;

  // A new manifest `dst` pointing at the same blobs (copied byte for byte).
  Status copy(const Name& src, const Name& dst);
  // Removes the manifest and empty parent directories; with `prune_blobs`,
  // also the blobs that no remaining manifest references.
  Status remove(const Name& n, bool prune_blobs = true);
  // Removes the blobs of `m` that no manifest in the store references.
  Status remove_unreferenced(const Manifest& m);
  // Removes unreferenced blobs and leftover temporary files; an interrupted
  // pull's "sha256-<hex>-partial*" files stay for it to resume.
  Result<PruneReport> prune(const PruneOptions& opts = {});

 private:
  Status ensure_dirs() const;
  void remove_empty_dirs(const std::string& from_dir) const;

  std::string root_;
};

}  // namespace cria::store
