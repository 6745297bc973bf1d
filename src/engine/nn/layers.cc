#include "engine/nn/layers.h"

#include <cassert>

#include "engine/cpu/ops.h"

namespace cria::nn {

ggml_tensor* named(ggml_tensor* t, const char* name, int il) {
  if (il >= 0) {
    ggml_format_name(t, "%s-%d", name, il);
  } else {
    ggml_set_name(t, name);
  }
  return t;
}

ggml_tensor* matmul(ggml_context* ctx, ggml_tensor* w, ggml_tensor* x) {
  if (engine::cpu::packed_format_of(w).has_value()) return engine::cpu::packed_mul_mat(ctx, w, x);
  return ggml_mul_mat(ctx, w, x);
}

ggml_tensor* linear(ggml_context* ctx, const Linear& w, ggml_tensor* x) {
  assert(w.weight != nullptr);
  ggml_tensor* y = matmul(ctx, w.weight, x);  // [n_out, n_tokens]
  if (w.bias != nullptr) y = ggml_add(ctx, y, w.bias);
  return y;
}

ggml_tensor* rms_norm(ggml_context* ctx, ggml_tensor* x, ggml_tensor* weight, float eps) {
  ggml_tensor* y = ggml_rms_norm(ctx, x, eps);
  if (weight != nullptr) y = ggml_mul(ctx, y, weight);
  return y;
}

ggml_tensor* layer_norm(ggml_context* ctx, ggml_tensor* x, ggml_tensor* weight, ggml_tensor* bias,
                        float eps) {
  ggml_tensor* y = ggml_norm(ctx, x, eps);
  if (weight != nullptr) y = ggml_mul(ctx, y, weight);
  if (bias != nullptr) y = ggml_add(ctx, y, bias);
  return y;
}

ggml_tensor* softcap(ggml_context* ctx, ggml_tensor* x, float cap) {
  assert(cap > 0.0f);
  x = ggml_scale(ctx, x, 1.0f / cap);
  x = ggml_tanh(ctx, x);
  return ggml_scale(ctx, x, cap);
}

ggml_tensor* gated_ffn(ggml_context* ctx, const GatedFfnWeights& w, GateActivation act,
                       ggml_tensor* x, int il) {
  const bool silu = act == GateActivation::kSilu;
  ggml_tensor* up = named(linear(ctx, w.up, x), "ffn_up", il);  // [n_ff (fused: 2 n_ff), n_tokens]
  ggml_tensor* h = nullptr;                                     // [n_ff, n_tokens]
  if (w.gate.weight == nullptr) {  // fused: ggml's single-operand GLU gates the first half
    h = silu ? ggml_swiglu(ctx, up) : ggml_geglu(ctx, up);
  } else {
    ggml_tensor* gate = named(linear(ctx, w.gate, x), "ffn_gate", il);  // [n_ff, n_tokens]
    h = silu ? ggml_swiglu_split(ctx, gate, up) : ggml_geglu_split(ctx, gate, up);
  }
  named(h, silu ? "ffn_swiglu" : "ffn_geglu", il);
  return named(linear(ctx, w.down, h), "ffn_down", il);  // [n_embd, n_tokens]
}

ggml_tensor* swiglu_ffn(ggml_context* ctx, const SwiGluWeights& w, ggml_tensor* x, int il) {
  return gated_ffn(ctx, w, GateActivation::kSilu, x, il);
}

}  // namespace cria::nn
