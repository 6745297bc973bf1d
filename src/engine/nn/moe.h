// A mixture-of-experts feed-forward: a router picks the top-k experts per token and the
// output is the weighted sum of their gated feed-forwards (Mixtral, Qwen2/3-MoE, ...).
// The experts of a layer are stacked in 3-D tensors and run with ggml_mul_mat_id, which
// multiplies each token only by its chosen experts.
#pragma once

#include <cstdint>

#include <ggml.h>

namespace cria::nn {

// How the router's logits become the experts' probabilities. (Sigmoid gating and selection
// biases, as DeepSeek-V3 has, come with the first architecture and fixture that need them.)
enum class MoeGating {
  kSoftmax,  // softmax over all experts (Mixtral, Qwen)
};

struct MoeWeights {
  ggml_tensor* router = nullptr;     // ffn_gate_inp [n_embd, n_expert]
  ggml_tensor* gate_exps = nullptr;  // [n_embd, n_ff_exp, n_expert]
  ggml_tensor* up_exps = nullptr;    // [n_embd, n_ff_exp, n_expert]
  ggml_tensor* down_exps = nullptr;  // [n_ff_exp, n_embd, n_expert]
};

struct MoeOptions {
  int32_t n_expert_used = 0;  // k: experts per token
  MoeGating gating = MoeGating::kSoftmax;
  // Rescale the k chosen probabilities to sum to 1 (Qwen3-MoE, Mixtral); otherwise they are
  // used as they are (Qwen2-MoE).
  bool normalize_weights = false;
  float weights_scale = 1.0f;  // a factor on the expert weights after that (1: none)
};

// x: [n_embd, n_tokens] → [n_embd, n_tokens]: sum over the k chosen experts e of
// weight_e * down_e(silu(gate_e x) * up_e x).
ggml_tensor* moe_ffn(ggml_context* ctx, const MoeWeights& w, ggml_tensor* x, const MoeOptions& opt,
                     int il);

}  // namespace cria::nn
