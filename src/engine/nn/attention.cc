#include "engine/nn/attention.h"

#include <cassert>

#include "engine/nn/layers.h"

namespace cria::nn {

namespace {

ggml_tensor* plain_attention(ggml_context* ctx, ggml_tensor* q, ggml_tensor* k, ggml_tensor* v,
                             const AttentionOptions& opt, int il) {
  if (!opt.v_transposed) v = ggml_cont(ctx, ggml_transpose(ctx, v));  // [n_kv, head_dim, n_head_kv]
  // Scores of every query against every cached key, per head.
  ggml_tensor* kq = named(ggml_mul_mat(ctx, k, q), "kq", il);  // [n_kv, n_tokens, n_head]
  (void)ggml_prec_set_acc(kq, GGML_PREC_F32);
  float scale = opt.scale;
  if (opt.softcap > 0.0f) {  // the scale goes in before the cap, so softmax gets 1
    if (scale != 1.0f) kq = ggml_scale(ctx, kq, scale);
    kq = named(softcap(ctx, kq, opt.softcap), "kq_softcap", il);
    scale = 1.0f;
  }
  kq = named(ggml_soft_max_ext(ctx, kq, opt.mask, scale, 0.0f), "kq_soft_max", il);
  // Weighted sum of the values.
  ggml_tensor* kqv = named(ggml_mul_mat(ctx, v, kq), "kqv", il);  // [head_dim, n_tokens, n_head]
  ggml_tensor* heads = ggml_permute(ctx, kqv, 0, 2, 1, 3);        // [head_dim, n_head, n_tokens]
  return ggml_cont_2d(ctx, heads, heads->ne[0] * heads->ne[1], heads->ne[2] * heads->ne[3]);
}

ggml_tensor* flash_attention(ggml_context* ctx, ggml_tensor* q, ggml_tensor* k, ggml_tensor* v,
                             const AttentionOptions& opt, int il) {
  assert(!opt.v_transposed && "flash attention reads V untransposed");
  ggml_tensor* out = ggml_flash_attn_ext(ctx, q, k, v, opt.mask, opt.scale, 0.0f, opt.softcap);
  (void)ggml_prec_set_acc(out, GGML_PREC_F32);
  named(out, "fattn", il);  // [head_dim, n_head, n_tokens]
  return ggml_reshape_2d(ctx, out, out->ne[0] * out->ne[1], out->ne[2] * out->ne[3]);
}

}  // namespace

ggml_tensor* attention(ggml_context* ctx, ggml_tensor* q, ggml_tensor* k, ggml_tensor* v,
                       const AttentionOptions& opt, int il) {
  if (const int64_t ns = k->ne[3]; ns > 1) {  // KV streams: the tokens of each in turn
    if (!ggml_is_contiguous(q)) q = ggml_cont(ctx, q);
    q = ggml_reshape_4d(ctx, q, q->ne[0], q->ne[1], q->ne[2] / ns, ns);
  }
  q = ggml_permute(ctx, q, 0, 2, 1, 3);  // [head_dim, n_tokens, n_head]
  k = ggml_permute(ctx, k, 0, 2, 1, 3);  // [head_dim, n_kv, n_head_kv]
  // [n_kv, head_dim, n_head_kv] (transposed) or [head_dim, n_kv, n_head_kv]
  v = ggml_permute(ctx, v, 0, 2, 1, 3);
  ggml_tensor* out =
      opt.flash ? flash_attention(ctx, q, k, v, opt, il) : plain_attention(ctx, q, k, v, opt, il);
  return named(out, "kqv_out", il);  // [head_dim * n_head, n_tokens]
}

}  // namespace cria::nn
