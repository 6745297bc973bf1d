// Small layer builders: each emits a few ggml ops into a graph's context and names its
// output "<name>-<layer>" (or "<name>" for layer -1), so a graph can be dumped and compared.
#pragma once

#include <ggml.h>

namespace cria::nn {

// Names `t` "<name>-<il>" (il >= 0) or "<name>" (il < 0) and returns it.
ggml_tensor* named(ggml_tensor* t, const char* name, int il);

// y = W x for a weight matrix W [n_in, n_out] and x [n_in, ...]: ggml_mul_mat, or our own
// packed product when the loader packed W (engine/cpu/ops.h). Every weight product goes here.
ggml_tensor* matmul(ggml_context* ctx, ggml_tensor* w, ggml_tensor* x);

// A projection y = W x (+ b). W is [n_in, n_out] in ggml order; b, if set, is [n_out].
struct Linear {
  ggml_tensor* weight = nullptr;
  ggml_tensor* bias = nullptr;
};

// x: [n_in, n_tokens] → [n_out, n_tokens].
ggml_tensor* linear(ggml_context* ctx, const Linear& w, ggml_tensor* x);

// RMSNorm over ne0, times `weight` ([n_embd]) when it is set. x: [n_embd, n_tokens].
ggml_tensor* rms_norm(ggml_context* ctx, ggml_tensor* x, ggml_tensor* weight, float eps);

// LayerNorm over ne0 (mean and variance), times `weight` plus `bias` when they are set.
ggml_tensor* layer_norm(ggml_context* ctx, ggml_tensor* x, ggml_tensor* weight, ggml_tensor* bias,
                        float eps);

// Soft-capping (Gemma 2): cap * tanh(x / cap), elementwise; x keeps its shape.
ggml_tensor* softcap(ggml_context* ctx, ggml_tensor* x, float cap);

// A gated feed-forward: down(act(gate x) * up x).
struct GatedFfnWeights {
  // [n_embd, n_ff]. Unset: `up` is fused [n_embd, 2 * n_ff], its first n_ff rows the gate
  // and the rest the up projection (Phi-3's ffn_up).
  Linear gate;
  Linear up;    // [n_embd, n_ff] (fused: [n_embd, 2 * n_ff])
  Linear down;  // [n_ff, n_embd]
};
using SwiGluWeights = GatedFfnWeights;

// The activation applied to the gate.
enum class GateActivation {
  kSilu,      // SwiGLU (Llama, Qwen, Phi-3)
  kGeluTanh,  // GeGLU with GELU's tanh approximation (Gemma)
};

// x: [n_embd, n_tokens] → [n_embd, n_tokens].
ggml_tensor* gated_ffn(ggml_context* ctx, const GatedFfnWeights& w, GateActivation act,
                       ggml_tensor* x, int il);

// gated_ffn with SiLU: the feed-forward of Llama.
ggml_tensor* swiglu_ffn(ggml_context* ctx, const SwiGluWeights& w, ggml_tensor* x, int il);

}  // namespace cria::nn
