#include "engine/nn/layers.h"

#include <cassert>

namespace cria::nn {

ggml_tensor* named(ggml_tensor* t, const char* name, int il) {
  if (il >= 0) {
    ggml_format_name(t, "%s-%d", name, il);
  } else {
    ggml_set_name(t, name);
  }
  return t;
}

ggml_tensor* linear(ggml_context* ctx, const Linear& w, ggml_tensor* x) {
  assert(w.weight != nullptr);
  ggml_tensor* y = ggml_mul_mat(ctx, w.weight, x);  // [n_out, n_tokens]
  if (w.bias != nullptr) y = ggml_add(ctx, y, w.bias);
  return y;
}

ggml_tensor* rms_norm(ggml_context* ctx, ggml_tensor* x, ggml_tensor* weight, float eps) {
  ggml_tensor* y = ggml_rms_norm(ctx, x, eps);
  if (weight != nullptr) y = ggml_mul(ctx, y, weight);
  return y;
}

ggml_tensor* swiglu_ffn(ggml_context* ctx, const SwiGluWeights& w, ggml_tensor* x, int il) {
  ggml_tensor* up = named(linear(ctx, w.up, x), "ffn_up", il);        // [n_ff, n_tokens]
  ggml_tensor* gate = named(linear(ctx, w.gate, x), "ffn_gate", il);  // [n_ff, n_tokens]
  ggml_tensor* act = named(ggml_swiglu_split(ctx, gate, up), "ffn_swiglu", il);
  return named(linear(ctx, w.down, act), "ffn_down", il);  // [n_embd, n_tokens]
}

}  // namespace cria::nn
