// Small layer builders: each emits a few ggml ops into a graph's context and names its
// output "<name>-<layer>" (or "<name>" for layer -1), so a graph can be dumped and compared.
#pragma once

#include <ggml.h>

namespace cria::nn {

// Names `t` "<name>-<il>" (il >= 0) or "<name>" (il < 0) and returns it.
ggml_tensor* named(ggml_tensor* t, const char* name, int il);

// A projection y = W x (+ b). W is [n_in, n_out] in ggml order; b, if set, is [n_out].
struct Linear {
  ggml_tensor* weight = nullptr;
  ggml_tensor* bias = nullptr;
};

// x: [n_in, n_tokens] → [n_out, n_tokens].
ggml_tensor* linear(ggml_context* ctx, const Linear& w, ggml_tensor* x);

// RMSNorm over ne0, times `weight` ([n_embd]) when it is set. x: [n_embd, n_tokens].
ggml_tensor* rms_norm(ggml_context* ctx, ggml_tensor* x, ggml_tensor* weight, float eps);

// The gated feed-forward of Llama: down(silu(gate x) * up x).
struct SwiGluWeights {
  Linear gate;  // [n_embd, n_ff]
  Linear up;    // [n_embd, n_ff]
  Linear down;  // [n_ff, n_embd]
};

// x: [n_embd, n_tokens] → [n_embd, n_tokens].
ggml_tensor* swiglu_ffn(ggml_context* ctx, const SwiGluWeights& w, ggml_tensor* x, int il);

}  // namespace cria::nn
