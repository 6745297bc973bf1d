// Scaled dot-product attention over keys and values already in the KV cache.
#pragma once

#include <ggml.h>

namespace cria::nn {

struct AttentionOptions {
  float scale = 1.0f;  // usually 1/sqrt(head_dim)
  // > 0: the scaled scores are soft-capped, softcap * tanh(scale * kq / softcap), before the
  // mask and softmax (Gemma 2's attn_logit_softcapping). 0: none.
  float softcap = 0.0f;
  ggml_tensor* mask = nullptr;  // [n_kv, n_tokens, 1, 1]: 0 or -inf; F32 (F16 with flash)
  bool flash = false;           // ggml_flash_attn_ext instead of the plain path
  bool v_transposed = true;     // v is [n_kv, n_head_kv, head_dim] (the plain path's layout)
};

// Multi-head attention with grouped KV heads (n_head a multiple of n_head_kv, shared by
// ggml's broadcasting).
//   q: [head_dim, n_head, n_tokens]
//   k: [head_dim, n_head_kv, n_kv, ns]
//   v: [n_kv, n_head_kv, head_dim, ns] when v_transposed, else [head_dim, n_head_kv, n_kv, ns]
// → [head_dim * n_head, n_tokens]
// With ns > 1 KV streams (KvBatch), the tokens are ns groups of n_tokens / ns, group s
// attending stream s; the mask is then [n_kv, n_tokens / ns, 1, ns].
ggml_tensor* attention(ggml_context* ctx, ggml_tensor* q, ggml_tensor* k, ggml_tensor* v,
                       const AttentionOptions& opt, int il);

}  // namespace cria::nn
