// Attention of a batch's queries over the KV cache: one nn::attention per run of the batch
// (KvRun: consecutive streams with as many tokens each), the outputs joined in token order.
// A unified cache's batch is one run, so one attention op per layer; so is a decode step of
// consecutive sequences. Sequences with gaps between them, or a prompt chunk next to decode
// tokens, add a run each instead of another pass through the weights.
#pragma once

#include <ggml.h>

#include "engine/kv/kv_cache.h"
#include "engine/nn/attention.h"

namespace cria::engine {

// q: [head_dim, n_head, n_tokens] in the batch's token order → [head_dim * n_head, n_tokens].
// `opt`'s mask, flash and v_transposed come from `kv`.
ggml_tensor* cached_attention(ggml_context* ctx, const KvBatch& kv, ggml_tensor* q,
                              nn::AttentionOptions opt, int il);

}  // namespace cria::engine
