// Llama 2/3 and the models that share its graph (TinyStories, SmolLM, Mistral without SWA):
// pre-RMSNorm blocks of grouped-query attention with RoPE (rotating adjacent pairs) and a
// SwiGLU feed-forward; Llama 3.1's RoPE frequency factors when the file has them.
#include "engine/models/pre_norm_decoder.h"
#include "engine/models/registry.h"

namespace cria::engine {
namespace {

Result<std::unique_ptr<Model>> load_llama(std::shared_ptr<const gguf::File> file,
                                          const backend::WeightsOptions& options) {
  return SwiGluDecoder::load(std::move(file), options,
                             {.arch = "llama",
                              .hparams = {.rope_mode = nn::RopeMode::kNorm},
                              .attention = {},
                              .rope_freqs = true});
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("llama", &load_llama);

}  // namespace cria::engine
