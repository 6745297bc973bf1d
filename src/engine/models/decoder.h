// Pieces shared by the decoder-only transformers whose blocks are "pre-RMSNorm grouped-query
// attention with RoPE, then a feed-forward" (Llama, Qwen2, Qwen3, Qwen3-MoE, ...): their common
// hyper-parameters, the attention block's tensors and graph, the embedding and the output head.
// Each architecture's own file keeps its forward pass, so that it reads like the paper:
//
//   x = io.embed(ctx, in.tokens);
//   for each layer:
//     h = rms_norm(x, attn_norm);  h = self_attention(in, attn, att_opt, h, il);  x = x + h;
//     h = rms_norm(x, ffn_norm);   h = <the architecture's feed-forward>(h);       x = x + h;
//   return io.logits(ctx, x, rms_eps);
//
// Nothing here knows an architecture's name: what differs comes in as options.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <ggml.h>

#include "backend/weights.h"
#include "base/result.h"
#include "engine/models/model.h"
#include "engine/models/tables.h"
#include "engine/nn/layers.h"
#include "engine/nn/rope.h"
#include "gguf/reader.h"

namespace cria::engine {

// What differs between architectures in reading DecoderHparams.
struct DecoderHparamsOptions {
  nn::RopeMode rope_mode = nn::RopeMode::kNorm;
  // `<arch>.feed_forward_length` must be present (a dense feed-forward); a mixture of experts
  // has its own `expert_feed_forward_length` and may leave n_ff 0.
  bool require_n_ff = true;
  // rope.dimension_count may be less than the head size (an even number; Phi-4-mini rotates
  // 3/4 of each head); otherwise it must equal it.
  bool partial_rope = false;
};

// The hyper-parameters every such decoder has, read from `<arch>.*`.
struct DecoderHparams {
  std::string arch;
  int32_t n_vocab = 0;  // <arch>.vocab_size, else the rows of token_embd
  int32_t n_ctx_train = 0;
  int32_t n_embd = 0;
  int32_t n_layer = 0;
  int32_t n_ff = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;  // defaults to n_head
  int32_t head_dim = 0;   // attention.key_length, defaults to n_embd / n_head
  float rms_eps = 1e-5f;
  nn::RopeConfig rope;

  // Errors name the file and the key; shapes the engine cannot run are kUnsupported.
  Status read(const gguf::File& file, std::string_view arch_name,
              const DecoderHparamsOptions& options);

  int64_t n_embd_q() const { return int64_t{n_head} * head_dim; }
  int64_t n_embd_kv() const { return int64_t{n_head_kv} * head_dim; }
  // The sizes the runner builds the cache from (K and V heads of head_dim).
  ModelInfo info() const;
};

// One layer's attention block.
struct AttentionWeights {
  ggml_tensor* norm = nullptr;    // attn_norm [n_embd]
  nn::Linear wq;                  // [n_embd, n_head * head_dim]; bias [n_head * head_dim]
  nn::Linear wk;                  // [n_embd, n_head_kv * head_dim]; bias [n_head_kv * head_dim]
  nn::Linear wv;                  // [n_embd, n_head_kv * head_dim]; bias [n_head_kv * head_dim]
  nn::Linear wo;                  // [n_head * head_dim, n_embd]; bias [n_embd]
  ggml_tensor* q_norm = nullptr;  // [head_dim]: per-head RMSNorm of q before RoPE, or none
  ggml_tensor* k_norm = nullptr;  // [head_dim]: the same for k
};

struct AttentionDecl {
  // attn_q_norm / attn_k_norm are required (Qwen3); otherwise they are not declared.
  bool qk_norm = false;
};

// Declares layer il's attention tensors ("blk.<il>.attn_*"). The q/k/v/output biases are
// optional, as in llama.cpp (Qwen2 has q/k/v biases, Llama usually none).
void declare_attention(TensorTable& t, const DecoderHparams& hp, int il, const AttentionDecl& decl,
                       AttentionWeights& w);

// The graph constants of self_attention.
struct SelfAttentionOptions {
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim = 0;
  float rms_eps = 1e-5f;  // of the q/k norms
  const nn::RopeOptions* rope = nullptr;
  // > 0: the queries are multiplied by q_scale (after the cache store, as llama.cpp orders
  // it for Gemma's query_pre_attn_scalar and Phi-3) and the scores are not scaled again;
  // 0: the scores are scaled by 1/sqrt(head_dim).
  float q_scale = 0.0f;
  float softcap = 0.0f;  // attention-logit soft-capping (Gemma 2); 0: none
};

SelfAttentionOptions self_attention_options(const DecoderHparams& hp, const nn::RopeOptions& rope);

// Queries [head_dim, n_head, n_tokens]; keys and values [head_dim, n_head_kv, n_tokens].
struct QkvHeads {
  ggml_tensor* q = nullptr;
  ggml_tensor* k = nullptr;
  ggml_tensor* v = nullptr;
};

// x: [n_embd, n_tokens] (already normed) → the separate q/k/v projections (+ biases) of x,
// split into heads.
QkvHeads project_heads(ggml_context* ctx, const AttentionWeights& w,
                       const SelfAttentionOptions& opt, ggml_tensor* x);

// From projected heads to [n_embd, n_tokens]: per-head q/k norms when the weights have them,
// RoPE, k/v into the cache, attention over the cached cells, the output projection.
ggml_tensor* attend(const ForwardInputs& in, const AttentionWeights& w,
                    const SelfAttentionOptions& opt, const QkvHeads& heads, int il);

// attend(project_heads(x)).
ggml_tensor* self_attention(const ForwardInputs& in, const AttentionWeights& w,
                            const SelfAttentionOptions& opt, ggml_tensor* x, int il);

// The token embedding and the output head.
struct DecoderIoWeights {
  ggml_tensor* token_embd = nullptr;   // [n_embd, n_vocab]
  ggml_tensor* output_norm = nullptr;  // [n_embd]
  ggml_tensor* output = nullptr;       // [n_embd, n_vocab]; absent when tied to token_embd

  void declare(const DecoderHparams& hp, TensorTable& t);
  // tokens: I32 [n_tokens] → [n_embd, n_tokens] ("inp_embd").
  ggml_tensor* embed(ggml_context* ctx, ggml_tensor* tokens) const;
  // x: [n_embd, n_outputs] → logits [n_vocab, n_outputs] ("result_norm", "result_output").
  ggml_tensor* logits(ggml_context* ctx, ggml_tensor* x, float rms_eps) const;
};

// Checks `tensors` against `file` (names, shapes), loads the weights (those declared matmul
// may be repacked) and points every declared slot at its tensor.
Result<std::unique_ptr<backend::Weights>> load_declared_weights(
    std::shared_ptr<const gguf::File> file, const backend::WeightsOptions& options,
    const TensorTable& tensors);

}  // namespace cria::engine
