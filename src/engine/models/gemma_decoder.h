// The Gemma 2 / Gemma 3 decoder (text): pre- and post-RMSNorm around both the attention and
// the feed-forward, embeddings scaled by sqrt(n_embd), a GELU(tanh)-gated feed-forward,
// queries scaled before the scores, sliding-window attention on a pattern of layers with a
// RoPE of their own, and optional tanh soft-capping of the attention scores and the final
// logits. The RMSNorm weights are stored with Gemma's "1 +" already added, so they are plain
// multipliers here. What differs between the generations comes in as GemmaOptions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/models/decoder.h"

namespace cria::engine {

struct GemmaOptions {
  std::string arch;  // the GGUF architecture, prefix of the metadata keys
  // Attention-score soft-cap when the file has no attn_logit_softcapping; read only when
  // `attn_softcap_key` (0: none).
  bool attn_softcap_key = false;
  float attn_softcap = 0.0f;
  float final_softcap = 0.0f;        // default of final_logit_softcapping; 0: none
  int32_t n_swa = 0;                 // default of attention.sliding_window; 0: every layer global
  int32_t swa_period = 0;            // default sliding_window_pattern (sliding_window.h)
  float freq_base_swa = 0.0f;        // default of rope.freq_base_swa; 0: the global layers' base
  bool local_rope_unscaled = false;  // the local layers' RoPE drops any context scaling
  // The model size (its layer count) that scales queries by 1/sqrt(n_embd / n_head) instead
  // of 1/sqrt(head_dim) (query_pre_attn_scalar; GGUFs do not carry it: llama.cpp decides so).
  int32_t n_layer_scaled_by_embd = 0;
  bool qk_norm = false;      // per-head q/k RMSNorms (Gemma 3)
  bool tied_output = false;  // the output is token_embd even where output.weight exists
};

Result<std::unique_ptr<Model>> load_gemma(std::shared_ptr<const gguf::File> file,
                                          const backend::WeightsOptions& options,
                                          const GemmaOptions& o);

}  // namespace cria::engine
