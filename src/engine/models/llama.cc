// Llama 2/3 and the models that share its graph (TinyStories, SmolLM, Mistral without SWA):
// pre-RMSNorm blocks of grouped-query attention with RoPE and a SwiGLU feed-forward.
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "engine/models/decoder.h"
#include "engine/models/registry.h"
#include "engine/models/tables.h"
#include "engine/nn/layers.h"
#include "engine/nn/rope.h"

namespace cria::engine {
namespace {

struct LlamaLayer {
  AttentionWeights attn;  // attn_norm, q/k/v/output
  ggml_tensor* ffn_norm;  // [n_embd]
  nn::SwiGluWeights ffn;  // gate, up [n_embd, n_ff]; down [n_ff, n_embd]
};

struct LlamaWeights {
  DecoderIoWeights io;      // token_embd, output_norm, output (or tied)
  ggml_tensor* rope_freqs;  // [n_rot / 2]; Llama 3.1 frequency factors, optional
  std::vector<LlamaLayer> layers;

  void declare(const DecoderHparams& hp, TensorTable& t);
};

void LlamaWeights::declare(const DecoderHparams& hp, TensorTable& t) {
  const int64_t n_embd = hp.n_embd, n_ff = hp.n_ff;
  const TensorFlags mm{.matmul = true};
  io.declare(hp, t);
  t.add(rope_freqs, "rope_freqs.weight", {hp.rope.n_rot / 2}, {.optional = true});
  layers.resize(static_cast<size_t>(hp.n_layer));
  for (int i = 0; i < hp.n_layer; ++i) {
    LlamaLayer& l = layers[static_cast<size_t>(i)];
    auto name = [i](const char* what) { return fmt::format("blk.{}.{}", i, what); };
    declare_attention(t, hp, i, {}, l.attn);
    t.add(l.ffn_norm, name("ffn_norm.weight"), {n_embd});
    t.add(l.ffn.gate.weight, name("ffn_gate.weight"), {n_embd, n_ff}, mm);
    t.add(l.ffn.up.weight, name("ffn_up.weight"), {n_embd, n_ff}, mm);
    t.add(l.ffn.down.weight, name("ffn_down.weight"), {n_ff, n_embd}, mm);
  }
}

class Llama final : public Model {
 public:
  const ModelInfo& info() const override { return info_; }
  const backend::Weights& weights() const override { return *weights_; }
  ggml_tensor* forward(const ForwardInputs& in) const override;
  ggml_tensor* shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                          int il) const override;

  static Result<std::unique_ptr<Model>> load(std::shared_ptr<const gguf::File> file,
                                             const backend::WeightsOptions& options);

 private:
  DecoderHparams hp_;
  LlamaWeights w_;
  nn::RopeOptions rope_;
  ModelInfo info_;
  std::unique_ptr<backend::Weights> weights_;
};

ggml_tensor* Llama::forward(const ForwardInputs& in) const {
  ggml_context* ctx = in.graph->ctx();
  const SelfAttentionOptions attn = self_attention_options(hp_, rope_);
  ggml_tensor* x = w_.io.embed(ctx, in.tokens);  // [n_embd, n_tokens]
  for (int il = 0; il < hp_.n_layer; ++il) {
    const LlamaLayer& l = w_.layers[static_cast<size_t>(il)];
    ggml_tensor* h = nn::named(nn::rms_norm(ctx, x, l.attn.norm, hp_.rms_eps), "attn_norm", il);
    h = nn::named(self_attention(in, l.attn, attn, h, il), "attn_out", il);
    if (il == hp_.n_layer - 1) {  // only the rows whose logits are wanted go on
      h = ggml_get_rows(ctx, h, in.out_ids);
      x = ggml_get_rows(ctx, x, in.out_ids);
    }
    x = nn::named(ggml_add(ctx, h, x), "ffn_inp", il);
    h = nn::named(nn::rms_norm(ctx, x, l.ffn_norm, hp_.rms_eps), "ffn_norm", il);
    h = nn::swiglu_ffn(ctx, l.ffn, h, il);
    x = nn::named(ggml_add(ctx, h, x), "l_out", il);  // [n_embd, n_tokens]
  }
  return w_.io.logits(ctx, x, hp_.rms_eps);  // [n_vocab, n_outputs]
}

ggml_tensor* Llama::shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                               int il) const {
  return nn::named(nn::rope(ctx, keys, deltas, nn::rope_shift_options(rope_)), "k_shifted", il);
}

Result<std::unique_ptr<Model>> Llama::load(std::shared_ptr<const gguf::File> file,
                                           const backend::WeightsOptions& options) {
  auto m = std::make_unique<Llama>();
  CRIA_RETURN_IF_ERROR(m->hp_.read(*file, "llama", {.rope_mode = nn::RopeMode::kNorm}));
  TensorTable tensors;
  m->w_.declare(m->hp_, tensors);
  CRIA_ASSIGN_OR_RETURN(m->weights_, load_declared_weights(std::move(file), options, tensors));
  m->rope_ = nn::resolve_rope(m->hp_.rope, m->w_.rope_freqs);
  m->info_ = m->hp_.info();
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("llama", &Llama::load);

}  // namespace cria::engine
