// Gemma 2 (gemma_decoder.h): tanh soft-capping of the attention scores (50) and of the final
// logits (30), a sliding window of 4096 on every other layer (the even ones), the output tied
// to token_embd; the 27B model (46 layers) scales queries by 1/sqrt(n_embd / n_head).
#include "engine/models/gemma_decoder.h"
#include "engine/models/registry.h"

namespace cria::engine {
namespace {

Result<std::unique_ptr<Model>> load_gemma2(std::shared_ptr<const gguf::File> file,
                                           const backend::WeightsOptions& options) {
  return load_gemma(std::move(file), options,
                    {.arch = "gemma2",
                     .attn_softcap_key = true,
                     .attn_softcap = 50.0f,
                     .final_softcap = 30.0f,
                     .n_swa = 4096,
                     .swa_period = 2,
                     .n_layer_scaled_by_embd = 46,
                     .tied_output = true});
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("gemma2", &load_gemma2);

}  // namespace cria::engine
