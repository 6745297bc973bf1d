// Quantization for /api/create runs `cria quantize` as a child process, so that
// the server never runs ggml code itself (a ggml abort kills only the child).
#pragma once

#include <string>

#include "server/app.h"
#include "store/create.h"

namespace cria::server {

// Quantizes the GGUF blob to `type` in a child process, stores the result as a
// blob and returns its digest. Progress: "quantizing F16 model to Q4_K_M".
Result<store::Digest> quantize_blob(App& app, const std::string& blob_path, const std::string& type,
                                    const store::ProgressFn& progress);

}  // namespace cria::server
