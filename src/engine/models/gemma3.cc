// Gemma 3, text (gemma_decoder.h): Gemma 2's block with per-head RMSNorms of queries and keys
// instead of the attention soft-cap, five local sliding-window layers for each global one, and
// a RoPE base of its own for the local layers (rope.freq_base_swa, 10000 by default; any
// context scaling is for the global layers only); the 27B model (62 layers) scales queries by
// 1/sqrt(n_embd / n_head).
#include "engine/models/gemma_decoder.h"
#include "engine/models/registry.h"

namespace cria::engine {
namespace {

Result<std::unique_ptr<Model>> load_gemma3(std::shared_ptr<const gguf::File> file,
                                           const backend::WeightsOptions& options) {
  return load_gemma(std::move(file), options,
                    {.arch = "gemma3",
                     .swa_period = 6,
                     .freq_base_swa = 10000.0f,
                     .local_rope_unscaled = true,
                     .n_layer_scaled_by_embd = 62,
                     .qk_norm = true});
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("gemma3", &load_gemma3);

}  // namespace cria::engine
