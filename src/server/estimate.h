// The memory a model needs once loaded, estimated from its GGUF metadata before
// loading, for the scheduler's memory check (LoadSpec::estimated_bytes).
#pragma once

#include <cstdint>
#include <string>

#include "api/options.h"
#include "base/result.h"

namespace cria::server {

struct MemoryEstimate {
  uint64_t weights = 0;   // the model file's size
  uint64_t kv_cache = 0;  // f16 K and V for num_ctx tokens in each of num_parallel sequences
  uint64_t compute = 0;   // f32 logits for one batch, plus 10% of the weights

  uint64_t total() const { return weights + kv_cache + compute; }
};

// Errors: the file is missing or not a valid GGUF. Metadata a model does not have
// (no attention: no KV cache) counts as zero rather than failing.
Result<MemoryEstimate> estimate_memory(const std::string& gguf_path, const api::Options& options,
                                       int num_parallel);

}  // namespace cria::server
