// Pull and push of models over the registry protocol Ollama speaks (the OCI
// distribution API: registry.ollama.ai, hf.co, any OCI registry), into and out
// of the model store. Progress comes as Ollama's status lines: "pulling
// manifest", "pulling <digest>" with total/completed, "verifying sha256
// digest", "writing manifest", "success" (push: "retrieving manifest",
// "pushing <digest>", "pushing manifest", "success").
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "registry/download.h"
#include "registry/transport.h"
#include "registry/upload.h"
#include "store/store.h"

namespace cria::registry {

struct Progress {
  std::string status;
  std::string digest;  // sha256:<hex> for a blob's line
  int64_t total = 0;
  int64_t completed = 0;

  // A status line without a blob.
  static Progress of(std::string status) {
    Progress p;
    p.status = std::move(status);
    return p;
  }
};

// Returns false when nobody listens any more: the transfer stops.
using ProgressFn = std::function<bool(const Progress&)>;

struct RegistryOptions {
  bool insecure = false;  // plain http allowed
  std::string key_path;   // ~/.ollama/id_ed25519 (signs token requests; created when missing)
  bool prune = true;      // pull: remove the layers only the replaced manifest used
  DownloadOptions download;
  UploadOptions upload;
  TransportOptions transport;
};

// Pulls `name` ([scheme://][host/][namespace/]model[:tag]) into the store. Every
// blob is verified before the manifest, written last and atomically.
Status pull_model(store::Store& store, std::string_view name, const RegistryOptions& options,
                  const ProgressFn& progress);

// Pushes the stored model `name` to its registry: blobs, then the manifest.
Status push_model(const store::Store& store, std::string_view name, const RegistryOptions& options,
                  const ProgressFn& progress);

}  // namespace cria::registry
