#include "engine/models/gemma_decoder.h"

#include <cmath>
#include <vector>

#include <fmt/format.h>

#include "engine/models/sliding_window.h"
#include "engine/models/tables.h"
#include "engine/nn/layers.h"
#include "engine/nn/rope.h"

namespace cria::engine {
namespace {

struct GemmaHparams {
  DecoderHparams base;  // sizes, rms_eps, the RoPE of the global layers
  float attn_softcap = 0.0f;
  float final_softcap = 0.0f;
  float attn_scale = 0.0f;  // applied to q before the scores
  float freq_base_swa = 0.0f;
  int32_t n_swa = 0;
  std::vector<uint8_t> swa_layers;

  Status read(const gguf::File& file, const GemmaOptions& o);
};

Status GemmaHparams::read(const gguf::File& file, const GemmaOptions& o) {
  CRIA_RETURN_IF_ERROR(base.read(file, o.arch, {.rope_mode = nn::RopeMode::kNeox}));
  attn_softcap = o.attn_softcap;
  final_softcap = o.final_softcap;
  n_swa = o.n_swa;
  freq_base_swa = o.freq_base_swa > 0.0f ? o.freq_base_swa : base.rope.freq_base;
  MetadataTable md(file, o.arch);
  if (o.attn_softcap_key) md.optional("attn_logit_softcapping", attn_softcap);
  md.optional("final_logit_softcapping", final_softcap);
  md.optional("attention.sliding_window", n_swa);
  md.optional("rope.freq_base_swa", freq_base_swa);
  CRIA_RETURN_IF_ERROR(md.status());
  if (n_swa > 0) {
    CRIA_ASSIGN_OR_RETURN(swa_layers, read_swa_layers(file, o.arch, base.n_layer, o.swa_period));
  } else {
    n_swa = 0;
    swa_layers.assign(static_cast<size_t>(base.n_layer), 0);
  }
  const int32_t scalar =
      base.n_layer == o.n_layer_scaled_by_embd ? base.n_embd / base.n_head : base.head_dim;
  attn_scale = 1.0f / std::sqrt(static_cast<float>(scalar));
  return {};
}

struct GemmaLayer {
  AttentionWeights attn;        // attn_norm, q/k/v, output (q/k norms [head_dim])
  ggml_tensor* attn_post_norm;  // post_attention_norm [n_embd]
  ggml_tensor* ffn_norm;        // [n_embd]
  nn::GatedFfnWeights ffn;      // gate, up [n_embd, n_ff]; down [n_ff, n_embd]
  ggml_tensor* ffn_post_norm;   // post_ffw_norm [n_embd]
};

class Gemma final : public Model {
 public:
  const ModelInfo& info() const override { return info_; }
  const backend::Weights& weights() const override { return *weights_; }
  ggml_tensor* forward(const ForwardInputs& in) const override;
  ggml_tensor* shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                          int il) const override;

  Status load(std::shared_ptr<const gguf::File> file, const backend::WeightsOptions& options,
              const GemmaOptions& o);

 private:
  void declare(TensorTable& t, const GemmaOptions& o);
  const nn::RopeOptions& rope(int il) const {
    return hp_.swa_layers[static_cast<size_t>(il)] != 0 ? rope_local_ : rope_global_;
  }
  // x: [n_embd, n_tokens] (normed) → [n_embd, n_tokens].
  ggml_tensor* self_attention(const ForwardInputs& in, const AttentionWeights& w, ggml_tensor* x,
                              int il) const;

  GemmaHparams hp_;
  DecoderIoWeights io_;  // token_embd, output_norm, output (or tied)
  std::vector<GemmaLayer> layers_;
  nn::RopeOptions rope_global_;
  nn::RopeOptions rope_local_;
  ModelInfo info_;
  std::unique_ptr<backend::Weights> weights_;
};

void Gemma::declare(TensorTable& t, const GemmaOptions& o) {
  const DecoderHparams& hp = hp_.base;
  const int64_t n_embd = hp.n_embd, n_ff = hp.n_ff;
  const TensorFlags mm{.matmul = true};
  io_.declare(hp, t);
  layers_.resize(static_cast<size_t>(hp.n_layer));
  for (int i = 0; i < hp.n_layer; ++i) {
    GemmaLayer& l = layers_[static_cast<size_t>(i)];
    auto name = [i](const char* what) { return fmt::format("blk.{}.{}", i, what); };
    declare_attention(t, hp, i, {.qk_norm = o.qk_norm}, l.attn);
    t.add(l.attn_post_norm, name("post_attention_norm.weight"), {n_embd});
    t.add(l.ffn_norm, name("ffn_norm.weight"), {n_embd});
    t.add(l.ffn.gate.weight, name("ffn_gate.weight"), {n_embd, n_ff}, mm);
    t.add(l.ffn.up.weight, name("ffn_up.weight"), {n_embd, n_ff}, mm);
    t.add(l.ffn.down.weight, name("ffn_down.weight"), {n_ff, n_embd}, mm);
    t.add(l.ffn_post_norm, name("post_ffw_norm.weight"), {n_embd});
  }
}

ggml_tensor* Gemma::self_attention(const ForwardInputs& in, const AttentionWeights& w,
                                   ggml_tensor* x, int il) const {
  SelfAttentionOptions opt = self_attention_options(hp_.base, rope(il));
  opt.q_scale = hp_.attn_scale;
  opt.softcap = hp_.attn_softcap;
  return engine::self_attention(in, w, opt, x, il);
}

ggml_tensor* Gemma::forward(const ForwardInputs& in) const {
  ggml_context* ctx = in.graph->ctx();
  const DecoderHparams& hp = hp_.base;
  const float eps = hp.rms_eps;
  ggml_tensor* x = io_.embed(ctx, in.tokens);  // [n_embd, n_tokens]
  x = nn::named(ggml_scale(ctx, x, std::sqrt(static_cast<float>(hp.n_embd))), "inp_scaled", -1);
  for (int il = 0; il < hp.n_layer; ++il) {
    const GemmaLayer& l = layers_[static_cast<size_t>(il)];
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
  ggml_tensor* logits = io_.logits(ctx, x, eps);  // [n_vocab, n_outputs]
  if (hp_.final_softcap > 0.0f) {
    logits = nn::named(nn::softcap(ctx, logits, hp_.final_softcap), "result_softcap", -1);
  }
  return logits;
}

ggml_tensor* Gemma::shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                               int il) const {
  return nn::named(nn::rope(ctx, keys, deltas, nn::rope_shift_options(rope(il))), "k_shifted", il);
}

Status Gemma::load(std::shared_ptr<const gguf::File> file, const backend::WeightsOptions& options,
                   const GemmaOptions& o) {
  CRIA_RETURN_IF_ERROR(hp_.read(*file, o));
  TensorTable tensors;
  declare(tensors, o);
  CRIA_ASSIGN_OR_RETURN(weights_, load_declared_weights(std::move(file), options, tensors));
  if (o.tied_output) io_.output = nullptr;
  nn::RopeConfig local = hp_.base.rope;
  local.freq_base = hp_.freq_base_swa;
  if (o.local_rope_unscaled) {
    local.scaling = nn::RopeScaling::kNone;
    local.factor = 1.0f;
  }
  rope_global_ = nn::resolve_rope(hp_.base.rope, nullptr);
  rope_local_ = nn::resolve_rope(local, nullptr);
  info_ = hp_.base.info();
  info_.n_swa = hp_.n_swa;
  info_.swa_layers = hp_.swa_layers;
  return {};
}

}  // namespace

Result<std::unique_ptr<Model>> load_gemma(std::shared_ptr<const gguf::File> file,
                                          const backend::WeightsOptions& options,
                                          const GemmaOptions& o) {
  auto m = std::make_unique<Gemma>();
  CRIA_RETURN_IF_ERROR(m->load(std::move(file), options, o));
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace cria::engine
