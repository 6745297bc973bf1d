// Gemma 3 (text): Gemma 2's block (pre- and post-RMSNorms, embeddings scaled by sqrt(n_embd),
// a GELU-gated feed-forward) with per-head RMSNorms of queries and keys instead of the
// attention soft-cap, five local sliding-window layers for each global one, and a RoPE base of
// its own for the local layers (rope.freq_base_swa; any context scaling is for the global
// layers only). The RMSNorm weights are stored with Gemma's "1 +" already added.
#include <cmath>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "engine/models/decoder.h"
#include "engine/models/registry.h"
#include "engine/models/sliding_window.h"
#include "engine/models/tables.h"
#include "engine/nn/attention.h"
#include "engine/nn/layers.h"
#include "engine/nn/rope.h"

namespace cria::engine {
namespace {

struct Gemma3Hparams {
  DecoderHparams base;             // sizes, rms_eps, the RoPE of the global layers
  float final_softcap = 0.0f;      // final_logit_softcapping; 0: none
  float attn_scale = 0.0f;         // applied to q before the scores
  float freq_base_swa = 10000.0f;  // rope.freq_base_swa: the local layers' base
  int32_t n_swa = 0;               // attention.sliding_window; 0: every layer global
  std::vector<uint8_t> swa_layers;

  Status read(const gguf::File& file);
};

Status Gemma3Hparams::read(const gguf::File& file) {
  CRIA_RETURN_IF_ERROR(base.read(file, "gemma3", {.rope_mode = nn::RopeMode::kNeox}));
  MetadataTable md(file, "gemma3");
  md.optional("final_logit_softcapping", final_softcap);
  md.optional("attention.sliding_window", n_swa);
  md.optional("rope.freq_base_swa", freq_base_swa);
  CRIA_RETURN_IF_ERROR(md.status());
  if (n_swa > 0) {
    CRIA_ASSIGN_OR_RETURN(swa_layers, read_swa_layers(file, "gemma3", base.n_layer, 6));
  } else {
    n_swa = 0;
    swa_layers.assign(static_cast<size_t>(base.n_layer), 0);
  }
  // Gemma 3 27B (62 layers) scales queries by 1/sqrt(n_embd / n_head), the others by
  // 1/sqrt(head_dim) (query_pre_attn_scalar; GGUFs do not carry it, llama.cpp decides so).
  const int32_t scalar = base.n_layer == 62 ? base.n_embd / base.n_head : base.head_dim;
  attn_scale = 1.0f / std::sqrt(static_cast<float>(scalar));
  return {};
}

struct Gemma3Layer {
  AttentionWeights attn;        // attn_norm, q/k/v, output, q/k norms [head_dim]
  ggml_tensor* attn_post_norm;  // post_attention_norm [n_embd]
  ggml_tensor* ffn_norm;        // [n_embd]
  nn::GatedFfnWeights ffn;      // gate, up [n_embd, n_ff]; down [n_ff, n_embd]
  ggml_tensor* ffn_post_norm;   // post_ffw_norm [n_embd]
};

struct Gemma3Weights {
  DecoderIoWeights io;  // token_embd, output_norm, output (or tied)
  std::vector<Gemma3Layer> layers;

  void declare(const DecoderHparams& hp, TensorTable& t);
};

void Gemma3Weights::declare(const DecoderHparams& hp, TensorTable& t) {
  const int64_t n_embd = hp.n_embd, n_ff = hp.n_ff;
  const TensorFlags mm{.matmul = true};
  io.declare(hp, t);
  layers.resize(static_cast<size_t>(hp.n_layer));
  for (int i = 0; i < hp.n_layer; ++i) {
    Gemma3Layer& l = layers[static_cast<size_t>(i)];
    auto name = [i](const char* what) { return fmt::format("blk.{}.{}", i, what); };
    declare_attention(t, hp, i, {.qk_norm = true}, l.attn);
    t.add(l.attn_post_norm, name("post_attention_norm.weight"), {n_embd});
    t.add(l.ffn_norm, name("ffn_norm.weight"), {n_embd});
    t.add(l.ffn.gate.weight, name("ffn_gate.weight"), {n_embd, n_ff}, mm);
    t.add(l.ffn.up.weight, name("ffn_up.weight"), {n_embd, n_ff}, mm);
    t.add(l.ffn.down.weight, name("ffn_down.weight"), {n_ff, n_embd}, mm);
    t.add(l.ffn_post_norm, name("post_ffw_norm.weight"), {n_embd});
  }
}

class Gemma3 final : public Model {
 public:
  const ModelInfo& info() const override { return info_; }
  const backend::Weights& weights() const override { return *weights_; }
  ggml_tensor* forward(const ForwardInputs& in) const override;
  ggml_tensor* shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                          int il) const override;

  static Result<std::unique_ptr<Model>> load(std::shared_ptr<const gguf::File> file,
                                             const backend::WeightsOptions& options);

 private:
  const nn::RopeOptions& rope(int il) const {
    return hp_.swa_layers[static_cast<size_t>(il)] != 0 ? rope_local_ : rope_global_;
  }
  // x: [n_embd, n_tokens] (normed) → [n_embd, n_tokens].
  ggml_tensor* self_attention(const ForwardInputs& in, const AttentionWeights& w, ggml_tensor* x,
                              int il) const;

  Gemma3Hparams hp_;
  Gemma3Weights w_;
  nn::RopeOptions rope_global_;
  nn::RopeOptions rope_local_;
  ModelInfo info_;
  std::unique_ptr<backend::Weights> weights_;
};

ggml_tensor* Gemma3::self_attention(const ForwardInputs& in, const AttentionWeights& w,
                                    ggml_tensor* x, int il) const {
  ggml_context* ctx = in.graph->ctx();
  const DecoderHparams& hp = hp_.base;
  const int64_t n_tokens = x->ne[1];
  ggml_tensor* q = ggml_reshape_3d(ctx, nn::linear(ctx, w.wq, x), hp.head_dim, hp.n_head,
                                   n_tokens);  // [head_dim, n_head, n_tokens]
  ggml_tensor* k = ggml_reshape_3d(ctx, nn::linear(ctx, w.wk, x), hp.head_dim, hp.n_head_kv,
                                   n_tokens);  // [head_dim, n_head_kv, n_tokens]
  ggml_tensor* v = ggml_reshape_3d(ctx, nn::linear(ctx, w.wv, x), hp.head_dim, hp.n_head_kv,
                                   n_tokens);  // [head_dim, n_head_kv, n_tokens]
  q = nn::named(nn::rms_norm(ctx, q, w.q_norm, hp.rms_eps), "Qcur_normed", il);
  q = nn::named(nn::rope(ctx, q, in.positions, rope(il)), "Qcur", il);
  k = nn::named(nn::rms_norm(ctx, k, w.k_norm, hp.rms_eps), "Kcur_normed", il);
  k = nn::named(nn::rope(ctx, k, in.positions, rope(il)), "Kcur", il);
  nn::named(v, "Vcur", il);
  in.kv->store(*in.graph, il, k, v);
  q = nn::named(ggml_scale(ctx, q, hp_.attn_scale), "Qcur_scaled", il);
  const nn::AttentionOptions attn{.scale = 1.0f,
                                  .mask = in.kv->mask(il),
                                  .flash = in.kv->flash(),
                                  .v_transposed = in.kv->v_transposed()};
  ggml_tensor* heads =
      nn::attention(ctx, q, in.kv->keys(ctx, il), in.kv->values(ctx, il), attn, il);
  return nn::linear(ctx, w.wo, heads);  // [n_embd, n_tokens]
}

ggml_tensor* Gemma3::forward(const ForwardInputs& in) const {
  ggml_context* ctx = in.graph->ctx();
  const DecoderHparams& hp = hp_.base;
  const float eps = hp.rms_eps;
  ggml_tensor* x = w_.io.embed(ctx, in.tokens);  // [n_embd, n_tokens]
  x = nn::named(ggml_scale(ctx, x, std::sqrt(static_cast<float>(hp.n_embd))), "inp_scaled", -1);
  for (int il = 0; il < hp.n_layer; ++il) {
    const Gemma3Layer& l = w_.layers[static_cast<size_t>(il)];
    ggml_tensor* h = nn::named(nn::rms_norm(ctx, x, l.attn.norm, eps), "attn_norm", il);
    h = nn::named(self_attention(in, l.attn, h, il), "attn_out", il);
    if (il == hp.n_layer - 1) {  // only the rows whose logits are wanted go on
      h = ggml_get_rows(ctx, h, in.out_ids);
      x = ggml_get_rows(ctx, x, in.out_ids);
    }
    h = nn::named(nn::rms_norm(ctx, h, l.attn_post_norm, eps), "attn_post_norm", il);
    x = nn::named(ggml_add(ctx, h, x), "sa_out", il);
    h = nn::named(nn::rms_norm(ctx, x, l.ffn_norm, eps), "ffn_norm", il);
    h = nn::gated_ffn(ctx, l.ffn, nn::GateActivation::kGeluTanh, h, il);
    h = nn::named(nn::rms_norm(ctx, h, l.ffn_post_norm, eps), "ffn_post_norm", il);
    x = nn::named(ggml_add(ctx, h, x), "l_out", il);  // [n_embd, n_tokens]
  }
  ggml_tensor* logits = w_.io.logits(ctx, x, eps);  // [n_vocab, n_outputs]
  if (hp_.final_softcap > 0.0f) {
    logits = nn::named(nn::softcap(ctx, logits, hp_.final_softcap), "result_softcap", -1);
  }
  return logits;
}

ggml_tensor* Gemma3::shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                                int il) const {
  return nn::named(nn::rope(ctx, keys, deltas, nn::rope_shift_options(rope(il))), "k_shifted", il);
}

Result<std::unique_ptr<Model>> Gemma3::load(std::shared_ptr<const gguf::File> file,
                                            const backend::WeightsOptions& options) {
  auto m = std::make_unique<Gemma3>();
  CRIA_RETURN_IF_ERROR(m->hp_.read(*file));
  TensorTable tensors;
  m->w_.declare(m->hp_.base, tensors);
  CRIA_ASSIGN_OR_RETURN(m->weights_, load_declared_weights(std::move(file), options, tensors));
  nn::RopeConfig local = m->hp_.base.rope;  // its own base, unscaled
  local.freq_base = m->hp_.freq_base_swa;
  local.scaling = nn::RopeScaling::kNone;
  local.factor = 1.0f;
  m->rope_global_ = nn::resolve_rope(m->hp_.base.rope, nullptr);
  m->rope_local_ = nn::resolve_rope(local, nullptr);
  m->info_ = m->hp_.base.info();
  m->info_.n_swa = m->hp_.n_swa;
  m->info_.swa_layers = m->hp_.swa_layers;
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("gemma3", &Gemma3::load);

}  // namespace cria::engine
