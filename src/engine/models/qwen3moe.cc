// Qwen3-MoE (Qwen3-30B-A3B, 235B-A22B): the Qwen3 attention block (per-head q/k RMSNorm before
// NEOX RoPE) and, in place of the dense feed-forward, a mixture of SwiGLU experts: a softmax
// router picks the top expert_used_count of expert_count experts per token and weighs them by
// their probabilities, renormalised to sum to 1.
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "engine/models/decoder.h"
#include "engine/models/registry.h"
#include "engine/models/tables.h"
#include "engine/nn/layers.h"
#include "engine/nn/moe.h"
#include "engine/nn/rope.h"

namespace cria::engine {
namespace {

struct Qwen3MoeHparams {
  DecoderHparams base;        // feed_forward_length is unused (and may be absent)
  int32_t n_expert = 0;       // expert_count
  int32_t n_expert_used = 0;  // expert_used_count
  int32_t n_ff_exp = 0;       // expert_feed_forward_length, else n_ff / n_expert_used

  Status read(const gguf::File& file);
};

Status Qwen3MoeHparams::read(const gguf::File& file) {
  CRIA_RETURN_IF_ERROR(
      base.read(file, "qwen3moe", {.rope_mode = nn::RopeMode::kNeox, .require_n_ff = false}));
  MetadataTable md(file, "qwen3moe");
  md.required("expert_count", n_expert);
  md.required("expert_used_count", n_expert_used);
  md.optional("expert_feed_forward_length", n_ff_exp);
  CRIA_RETURN_IF_ERROR(md.status());
  if (n_expert <= 0 || n_expert_used <= 0 || n_expert_used > n_expert) {
    return make_error(Errc::kCorrupt, fmt::format("{}: bad qwen3moe experts: {} used of {}",
                                                  file.path(), n_expert_used, n_expert));
  }
  if (n_ff_exp == 0) n_ff_exp = base.n_ff / n_expert_used;
  if (n_ff_exp <= 0) {
    return make_error(
        Errc::kCorrupt,
        fmt::format("{}: missing metadata key 'qwen3moe.expert_feed_forward_length'", file.path()));
  }
  return {};
}

struct Qwen3MoeLayer {
  AttentionWeights attn;  // attn_norm, q/k/v, q/k norms [head_dim], output
  ggml_tensor* ffn_norm;  // [n_embd]
  nn::MoeWeights moe;     // router [n_embd, n_expert]; experts [.., .., n_expert]
};

struct Qwen3MoeWeights {
  DecoderIoWeights io;  // token_embd, output_norm, output (or tied)
  std::vector<Qwen3MoeLayer> layers;

  void declare(const Qwen3MoeHparams& hp, TensorTable& t);
};

void Qwen3MoeWeights::declare(const Qwen3MoeHparams& hp, TensorTable& t) {
  const int64_t n_embd = hp.base.n_embd, n_ff = hp.n_ff_exp, n_expert = hp.n_expert;
  const TensorFlags mm{.matmul = true};
  io.declare(hp.base, t);
  layers.resize(static_cast<size_t>(hp.base.n_layer));
  for (int i = 0; i < hp.base.n_layer; ++i) {
    Qwen3MoeLayer& l = layers[static_cast<size_t>(i)];
    auto name = [i](const char* what) { return fmt::format("blk.{}.{}", i, what); };
    declare_attention(t, hp.base, i, {.qk_norm = true}, l.attn);
    t.add(l.ffn_norm, name("ffn_norm.weight"), {n_embd});
    t.add(l.moe.router, name("ffn_gate_inp.weight"), {n_embd, n_expert});
    t.add(l.moe.gate_exps, name("ffn_gate_exps.weight"), {n_embd, n_ff, n_expert}, mm);
    t.add(l.moe.up_exps, name("ffn_up_exps.weight"), {n_embd, n_ff, n_expert}, mm);
    t.add(l.moe.down_exps, name("ffn_down_exps.weight"), {n_ff, n_embd, n_expert}, mm);
  }
}

class Qwen3Moe final : public Model {
 public:
  const ModelInfo& info() const override { return info_; }
  const backend::Weights& weights() const override { return *weights_; }
  ggml_tensor* forward(const ForwardInputs& in) const override;
  ggml_tensor* shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                          int il) const override;

  static Result<std::unique_ptr<Model>> load(std::shared_ptr<const gguf::File> file,
                                             const backend::WeightsOptions& options);

 private:
  Qwen3MoeHparams hp_;
  Qwen3MoeWeights w_;
  nn::RopeOptions rope_;
  ModelInfo info_;
  std::unique_ptr<backend::Weights> weights_;
};

ggml_tensor* Qwen3Moe::forward(const ForwardInputs& in) const {
  ggml_context* ctx = in.graph->ctx();
  const DecoderHparams& hp = hp_.base;
  const SelfAttentionOptions attn = self_attention_options(hp, rope_);
  const nn::MoeOptions moe{.n_expert_used = hp_.n_expert_used,
                           .gating = nn::MoeGating::kSoftmax,
                           .normalize_weights = true};
  ggml_tensor* x = w_.io.embed(ctx, in.tokens);  // [n_embd, n_tokens]
  for (int il = 0; il < hp.n_layer; ++il) {
    const Qwen3MoeLayer& l = w_.layers[static_cast<size_t>(il)];
    ggml_tensor* h = nn::named(nn::rms_norm(ctx, x, l.attn.norm, hp.rms_eps), "attn_norm", il);
    h = nn::named(self_attention(in, l.attn, attn, h, il), "attn_out", il);
    if (il == hp.n_layer - 1) {  // only the rows whose logits are wanted go on
      h = ggml_get_rows(ctx, h, in.out_ids);
      x = ggml_get_rows(ctx, x, in.out_ids);
    }
    x = nn::named(ggml_add(ctx, h, x), "ffn_inp", il);
    h = nn::named(nn::rms_norm(ctx, x, l.ffn_norm, hp.rms_eps), "ffn_norm", il);
    h = nn::moe_ffn(ctx, l.moe, h, moe, il);
    x = nn::named(ggml_add(ctx, h, x), "l_out", il);  // [n_embd, n_tokens]
  }
  return w_.io.logits(ctx, x, hp.rms_eps);  // [n_vocab, n_outputs]
}

ggml_tensor* Qwen3Moe::shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                                  int il) const {
  return nn::named(nn::rope(ctx, keys, deltas, nn::rope_shift_options(rope_)), "k_shifted", il);
}

Result<std::unique_ptr<Model>> Qwen3Moe::load(std::shared_ptr<const gguf::File> file,
                                              const backend::WeightsOptions& options) {
  auto m = std::make_unique<Qwen3Moe>();
  CRIA_RETURN_IF_ERROR(m->hp_.read(*file));
  TensorTable tensors;
  m->w_.declare(m->hp_, tensors);
  CRIA_ASSIGN_OR_RETURN(m->weights_, load_declared_weights(std::move(file), options, tensors));
  m->rope_ = nn::resolve_rope(m->hp_.base.rope, nullptr);
  m->info_ = m->hp_.base.info();
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("qwen3moe", &Qwen3Moe::load);

}  // namespace cria::engine
