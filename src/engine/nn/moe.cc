#include "engine/nn/moe.h"

#include <cassert>
#include <cmath>

#include "engine/nn/layers.h"

namespace cria::nn {

namespace {

// The smallest normal F16 value: a floor for the sum of the chosen weights, so that the
// normalisation never divides by zero.
constexpr float kMinWeightSum = 6.103515625e-5f;

struct Routing {
  ggml_tensor* experts;  // I32 [n_expert_used, n_tokens]: the chosen experts, best first
  ggml_tensor* weights;  // [1, n_expert_used, n_tokens]: their weights
};

// x: [n_embd, n_tokens] → the top-k experts of each token and their weights.
Routing route(ggml_context* ctx, ggml_tensor* router, ggml_tensor* x, const MoeOptions& opt,
              int il) {
  const int64_t n_tokens = x->ne[1];
  const int64_t k = opt.n_expert_used;
  ggml_tensor* logits = named(matmul(ctx, router, x), "ffn_moe_logits", il);
  const int64_t n_expert = logits->ne[0];  // logits: [n_expert, n_tokens]
  assert(opt.gating == MoeGating::kSoftmax);
  ggml_tensor* probs = named(ggml_soft_max(ctx, logits), "ffn_moe_probs", il);
  // probs: [n_expert, n_tokens]
  ggml_tensor* experts = named(ggml_argsort_top_k(ctx, probs, static_cast<int>(k)), "ffn_moe_topk",
                               il);  // I32 [k, n_tokens]
  // Gather each token's chosen probabilities: rows of [1, n_expert, n_tokens].
  ggml_tensor* weights = ggml_get_rows(ctx, ggml_reshape_3d(ctx, probs, 1, n_expert, n_tokens),
                                       experts);  // [1, k, n_tokens]
  named(weights, "ffn_moe_weights", il);
  if (opt.normalize_weights) {
    ggml_tensor* w2 = ggml_reshape_2d(ctx, weights, k, n_tokens);  // [k, n_tokens]
    ggml_tensor* sum = ggml_sum_rows(ctx, w2);                     // [1, n_tokens]
    sum = ggml_clamp(ctx, sum, kMinWeightSum, INFINITY);
    w2 = named(ggml_div(ctx, w2, sum), "ffn_moe_weights_norm", il);  // [k, n_tokens]
    weights = ggml_reshape_3d(ctx, w2, 1, k, n_tokens);
  }
  if (opt.weights_scale != 1.0f && opt.weights_scale != 0.0f) {
    weights = named(ggml_scale(ctx, weights, opt.weights_scale), "ffn_moe_weights_scaled", il);
  }
  return Routing{experts, weights};
}

}  // namespace

ggml_tensor* moe_ffn(ggml_context* ctx, const MoeWeights& w, ggml_tensor* x, const MoeOptions& opt,
                     int il) {
  assert(opt.n_expert_used > 0);
  const int64_t n_embd = x->ne[0], n_tokens = x->ne[1];
  const Routing r = route(ctx, w.router, x, opt, il);
  // Each token through its k experts' SwiGLU.
  ggml_tensor* xe = ggml_reshape_3d(ctx, x, n_embd, 1, n_tokens);  // [n_embd, 1, n_tokens]
  ggml_tensor* up = named(ggml_mul_mat_id(ctx, w.up_exps, xe, r.experts), "ffn_moe_up",
                          il);  // [n_ff_exp, k, n_tokens]
  ggml_tensor* gate = named(ggml_mul_mat_id(ctx, w.gate_exps, xe, r.experts), "ffn_moe_gate",
                            il);  // [n_ff_exp, k, n_tokens]
  ggml_tensor* act = named(ggml_swiglu_split(ctx, gate, up), "ffn_moe_swiglu", il);
  ggml_tensor* down = named(ggml_mul_mat_id(ctx, w.down_exps, act, r.experts), "ffn_moe_down",
                            il);  // [n_embd, k, n_tokens]
  down = named(ggml_mul(ctx, down, r.weights), "ffn_moe_weighted", il);
  // Sum over the k experts, in order.
  ggml_tensor* out = nullptr;
  for (int64_t i = 0; i < opt.n_expert_used; ++i) {
    ggml_tensor* expert = ggml_view_2d(ctx, down, n_embd, n_tokens, down->nb[2],
                                       static_cast<size_t>(i) * down->nb[1]);  // [n_embd, n_tokens]
    out = out == nullptr ? expert : ggml_add(ctx, out, expert);
  }
  if (opt.n_expert_used == 1) out = ggml_cont(ctx, out);  // not a strided view
  return named(out, "ffn_moe_out", il);                   // [n_embd, n_tokens]
}

}  // namespace cria::nn
