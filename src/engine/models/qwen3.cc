// Qwen3 (dense): the Qwen2 block without q/k/v biases but with a per-head RMSNorm of queries
// and keys before RoPE (NEOX style); the head size (attention.key_length) is its own
// hyper-parameter, so n_head * head_dim may differ from n_embd.
#include "engine/models/pre_norm_decoder.h"
#include "engine/models/registry.h"

namespace cria::engine {
namespace {

Result<std::unique_ptr<Model>> load_qwen3(std::shared_ptr<const gguf::File> file,
                                          const backend::WeightsOptions& options) {
  return SwiGluDecoder::load(std::move(file), options,
                             {.arch = "qwen3",
                              .hparams = {.rope_mode = nn::RopeMode::kNeox},
                              .attention = {.qk_norm = true}});
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("qwen3", &load_qwen3);

}  // namespace cria::engine
