// Phi-3, Phi-3.5 and Phi-4-mini: the Llama block with the q/k/v projections fused into one
// matrix (rows q | k | v), the gate and up projections fused into one (gate half first), NEOX
// RoPE, possibly over only part of each head, and for the long-context variants per-frequency
// RoPE factors ("longrope": rope_factors_short / rope_factors_long) with an attention factor.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/models/decoder.h"
#include "engine/models/registry.h"
#include "engine/models/tables.h"
#include "engine/nn/layers.h"
#include "engine/nn/rope.h"

namespace cria::engine {
namespace {

struct Phi3Layer {
  // attn_norm [n_embd], output [n_q, n_embd]; wq, wk, wv apart only in older files
  AttentionWeights attn;
  nn::Linear wqkv;          // fused: [n_embd, n_q + 2 * n_kv], rows q | k | v
  ggml_tensor* ffn_norm;    // [n_embd]
  nn::GatedFfnWeights ffn;  // up fused [n_embd, 2 * n_ff] (gate half first); down [n_ff, n_embd]
};

struct Phi3Weights {
  DecoderIoWeights io;  // token_embd, output_norm, output (or tied)
  // [n_rot / 2] frequency factors for contexts up to / beyond rope.scaling.original_context_length
  ggml_tensor* rope_short;
  ggml_tensor* rope_long;
  std::vector<Phi3Layer> layers;

  void declare(const DecoderHparams& hp, const gguf::File& file, TensorTable& t);
};

void Phi3Weights::declare(const DecoderHparams& hp, const gguf::File& file, TensorTable& t) {
  const int64_t n_embd = hp.n_embd, n_q = hp.n_embd_q(), n_kv = hp.n_embd_kv(), n_ff = hp.n_ff;
  const TensorFlags mm{.matmul = true};
  io.declare(hp, t);
  t.add(rope_short, "rope_factors_short.weight", {hp.rope.n_rot / 2}, {.optional = true});
  t.add(rope_long, "rope_factors_long.weight", {hp.rope.n_rot / 2}, {.optional = true});
  layers.resize(static_cast<size_t>(hp.n_layer));
  for (int i = 0; i < hp.n_layer; ++i) {
    Phi3Layer& l = layers[static_cast<size_t>(i)];
    auto name = [i](const char* what) { return fmt::format("blk.{}.{}", i, what); };
    t.add(l.attn.norm, name("attn_norm.weight"), {n_embd});
    if (file.find_tensor(name("attn_qkv.weight")) != nullptr) {
      t.add(l.wqkv.weight, name("attn_qkv.weight"), {n_embd, n_q + 2 * n_kv}, mm);
    } else {
      t.add(l.attn.wq.weight, name("attn_q.weight"), {n_embd, n_q}, mm);
      t.add(l.attn.wk.weight, name("attn_k.weight"), {n_embd, n_kv}, mm);
      t.add(l.attn.wv.weight, name("attn_v.weight"), {n_embd, n_kv}, mm);
    }
    t.add(l.attn.wo.weight, name("attn_output.weight"), {n_q, n_embd}, mm);
    t.add(l.ffn_norm, name("ffn_norm.weight"), {n_embd});
    t.add(l.ffn.up.weight, name("ffn_up.weight"), {n_embd, 2 * n_ff}, mm);
    t.add(l.ffn.down.weight, name("ffn_down.weight"), {n_ff, n_embd}, mm);
  }
}

class Phi3 final : public Model {
 public:
  const ModelInfo& info() const override { return info_; }
  const backend::Weights& weights() const override { return *weights_; }
  ggml_tensor* forward(const ForwardInputs& in) const override;
  ggml_tensor* shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                          int il) const override;

  static Result<std::unique_ptr<Model>> load(std::shared_ptr<const gguf::File> file,
                                             const backend::WeightsOptions& options);

 private:
  // x: [n_embd, n_tokens] (normed) → [n_embd, n_tokens].
  ggml_tensor* self_attention(const ForwardInputs& in, const Phi3Layer& l, ggml_tensor* x,
                              int il) const;

  DecoderHparams hp_;  // rope.n_rot may be less than head_dim
  Phi3Weights w_;
  nn::RopeOptions rope_;
  ModelInfo info_;
  std::unique_ptr<backend::Weights> weights_;
};

ggml_tensor* Phi3::self_attention(const ForwardInputs& in, const Phi3Layer& l, ggml_tensor* x,
                                  int il) const {
  ggml_context* ctx = in.graph->ctx();
  const DecoderHparams& hp = hp_;
  const int64_t n_tokens = x->ne[1], hd = hp.head_dim;
  SelfAttentionOptions opt = self_attention_options(hp, rope_);
  opt.q_scale = 1.0f / std::sqrt(static_cast<float>(hd));  // on q, as llama.cpp's phi3 graph
  if (l.wqkv.weight == nullptr) return engine::self_attention(in, l.attn, opt, x, il);
  // [n_q + 2 n_kv, n_tokens], each column q | k | v: split by views, heads of hd.
  ggml_tensor* qkv = nn::named(nn::linear(ctx, l.wqkv, x), "wqkv", il);
  const size_t row = qkv->nb[1];
  auto offset = [qkv](int64_t n) { return ggml_row_size(qkv->type, n); };
  QkvHeads h;
  h.q = ggml_view_3d(ctx, qkv, hd, hp.n_head, n_tokens, offset(hd), row, 0);
  h.k = ggml_view_3d(ctx, qkv, hd, hp.n_head_kv, n_tokens, offset(hd), row, offset(hp.n_embd_q()));
  h.v = ggml_view_3d(ctx, qkv, hd, hp.n_head_kv, n_tokens, offset(hd), row,
                     offset(hp.n_embd_q() + hp.n_embd_kv()));
  return attend(in, l.attn, opt, h, il);
}

ggml_tensor* Phi3::forward(const ForwardInputs& in) const {
  ggml_context* ctx = in.graph->ctx();
  const DecoderHparams& hp = hp_;
  ggml_tensor* x = w_.io.embed(ctx, in.tokens);  // [n_embd, n_tokens]
  for (int il = 0; il < hp.n_layer; ++il) {
    const Phi3Layer& l = w_.layers[static_cast<size_t>(il)];
    ggml_tensor* h = nn::named(nn::rms_norm(ctx, x, l.attn.norm, hp.rms_eps), "attn_norm", il);
    h = nn::named(self_attention(in, l, h, il), "attn_out", il);
    if (il == hp.n_layer - 1) {  // only the rows whose logits are wanted go on
      h = ggml_get_rows(ctx, h, in.out_ids);
      x = ggml_get_rows(ctx, x, in.out_ids);
    }
    x = nn::named(ggml_add(ctx, h, x), "ffn_inp", il);
    h = nn::named(nn::rms_norm(ctx, x, l.ffn_norm, hp.rms_eps), "ffn_norm", il);
    h = nn::gated_ffn(ctx, l.ffn, nn::GateActivation::kSilu, h, il);
    x = nn::named(ggml_add(ctx, h, x), "l_out", il);  // [n_embd, n_tokens]
  }
  return w_.io.logits(ctx, x, hp.rms_eps);  // [n_vocab, n_outputs]
}

ggml_tensor* Phi3::shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                              int il) const {
  return nn::named(nn::rope(ctx, keys, deltas, nn::rope_shift_options(rope_)), "k_shifted", il);
}

Result<std::unique_ptr<Model>> Phi3::load(std::shared_ptr<const gguf::File> file,
                                          const backend::WeightsOptions& options) {
  auto m = std::make_unique<Phi3>();
  CRIA_RETURN_IF_ERROR(
      m->hp_.read(*file, "phi3", {.rope_mode = nn::RopeMode::kNeox, .partial_rope = true}));
  TensorTable tensors;
  m->w_.declare(m->hp_, *file, tensors);
  CRIA_ASSIGN_OR_RETURN(m->weights_, load_declared_weights(std::move(file), options, tensors));
  // llama.cpp takes the long factors only when a sequence's context exceeds the original
  // one; the model does not know the context it will run in, so the short ones (right for
  // contexts up to rope.scaling.original_context_length, 4096 for Phi-3) are used.
  ggml_tensor* factors = m->w_.rope_short != nullptr ? m->w_.rope_short : m->w_.rope_long;
  m->rope_ = nn::resolve_rope(m->hp_.rope, factors);
  m->info_ = m->hp_.info();
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("phi3", &Phi3::load);

}  // namespace cria::engine
