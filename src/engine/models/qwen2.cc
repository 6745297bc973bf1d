// Qwen2 and Qwen2.5: the Llama block with biases on the q/k/v projections (declared optional
// for every such decoder) and NEOX-style RoPE (rotating the two halves of each head), usually
// without a BOS token.
#include "engine/models/pre_norm_decoder.h"
#include "engine/models/registry.h"

namespace cria::engine {
namespace {

Result<std::unique_ptr<Model>> load_qwen2(std::shared_ptr<const gguf::File> file,
                                          const backend::WeightsOptions& options) {
  return SwiGluDecoder::load(
      std::move(file), options,
      {.arch = "qwen2", .hparams = {.rope_mode = nn::RopeMode::kNeox}, .attention = {}});
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("qwen2", &load_qwen2);

}  // namespace cria::engine
