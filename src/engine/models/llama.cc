// Llama 2/3 and the models that share its graph (TinyStories, SmolLM, Mistral without SWA):
// pre-RMSNorm blocks of grouped-query attention with RoPE and a SwiGLU feed-forward.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/models/registry.h"
#include "engine/models/tables.h"
#include "engine/nn/attention.h"
#include "engine/nn/layers.h"
#include "engine/nn/rope.h"

namespace cria::engine {
namespace {

struct LlamaHparams {
  int32_t n_vocab = 0;  // llama.vocab_size, else the rows of token_embd
  int32_t n_ctx_train = 0;
  int32_t n_embd = 0;
  int32_t n_layer = 0;
  int32_t n_ff = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;  // defaults to n_head
  int32_t head_dim = 0;   // attention.key_length, defaults to n_embd / n_head
  float rms_eps = 1e-5f;
  nn::RopeConfig rope;

  Status read(const gguf::File& file);
};

Status LlamaHparams::read(const gguf::File& file) {
  MetadataTable md(file, "llama");
  md.required("context_length", n_ctx_train);
  md.required("embedding_length", n_embd);
  md.required("block_count", n_layer);
  md.required("feed_forward_length", n_ff);
  md.required("attention.head_count", n_head);
  md.required("attention.layer_norm_rms_epsilon", rms_eps);
  CRIA_RETURN_IF_ERROR(md.status());
  if (n_head <= 0 || n_embd % n_head != 0 || n_layer <= 0) {
    return make_error(Errc::kCorrupt, fmt::format("{}: bad llama shape: n_embd {}, n_head {}, "
                                                  "n_layer {}",
                                                  file.path(), n_embd, n_head, n_layer));
  }
  n_head_kv = n_head;
  head_dim = n_embd / n_head;
  md.optional("attention.head_count_kv", n_head_kv);
  md.optional("attention.key_length", head_dim);
  md.optional("vocab_size", n_vocab);
  int32_t head_dim_v = head_dim;
  md.optional("attention.value_length", head_dim_v);

  rope.n_rot = head_dim;
  rope.mode = nn::RopeMode::kNorm;
  rope.n_ctx_orig = n_ctx_train;
  std::string scaling = "linear";  // llama.cpp's default: a factor alone means linear
  rope.factor = 0.0f;
  md.optional("rope.dimension_count", rope.n_rot);
  md.optional("rope.freq_base", rope.freq_base);
  md.optional("rope.scaling.type", scaling);
  md.optional("rope.scale_linear", rope.factor);
  md.optional("rope.scaling.factor", rope.factor);
  md.optional("rope.scaling.original_context_length", rope.n_ctx_orig);
  md.optional("rope.scaling.attn_factor", rope.attn_factor);
  md.optional("rope.scaling.yarn_log_multiplier", rope.yarn_log_mul);
  md.optional("rope.scaling.yarn_ext_factor", rope.yarn_ext_factor);
  md.optional("rope.scaling.yarn_beta_fast", rope.yarn_beta_fast);
  md.optional("rope.scaling.yarn_beta_slow", rope.yarn_beta_slow);
  CRIA_RETURN_IF_ERROR(md.status());
  CRIA_ASSIGN_OR_RETURN(rope.scaling, nn::parse_rope_scaling(scaling));
  if (rope.factor == 0.0f) rope.factor = 1.0f;
  if (n_head_kv <= 0 || n_head % n_head_kv != 0 || head_dim_v != head_dim ||
      rope.n_rot != head_dim) {
    return make_error(
        Errc::kUnsupported,
        fmt::format("{}: unsupported llama attention: {} heads, {} KV heads, key "
                    "length {}, value length {}, rope dimensions {}",
                    file.path(), n_head, n_head_kv, head_dim, head_dim_v, rope.n_rot));
  }
  if (n_vocab == 0) {
    const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
    if (embd != nullptr) n_vocab = static_cast<int32_t>(embd->ne[1]);
  }
  return {};
}

struct LlamaLayer {
  ggml_tensor* attn_norm;  // [n_embd]
  nn::Linear wq;           // [n_embd, n_head * head_dim]
  nn::Linear wk;           // [n_embd, n_head_kv * head_dim]
  nn::Linear wv;           // [n_embd, n_head_kv * head_dim]
  nn::Linear wo;           // [n_head * head_dim, n_embd]
  ggml_tensor* ffn_norm;   // [n_embd]
  nn::SwiGluWeights ffn;   // gate, up [n_embd, n_ff]; down [n_ff, n_embd]
};

struct LlamaWeights {
  ggml_tensor* token_embd;   // [n_embd, n_vocab]
  ggml_tensor* output_norm;  // [n_embd]
  ggml_tensor* output;       // [n_embd, n_vocab]; absent when tied to token_embd
  ggml_tensor* rope_freqs;   // [n_rot / 2]; Llama 3.1 frequency factors, optional
  std::vector<LlamaLayer> layers;

  void declare(const LlamaHparams& hp, TensorTable& t);
};

void LlamaWeights::declare(const LlamaHparams& hp, TensorTable& t) {
  const int64_t n_embd = hp.n_embd, n_q = int64_t{hp.n_head} * hp.head_dim;
  const int64_t n_kv = int64_t{hp.n_head_kv} * hp.head_dim, n_ff = hp.n_ff;
  const TensorFlags mm{.matmul = true};
  const TensorFlags opt_mm{.optional = true, .matmul = true};
  t.add(token_embd, "token_embd.weight", {n_embd, hp.n_vocab});
  t.add(output_norm, "output_norm.weight", {n_embd});
  t.add(output, "output.weight", {n_embd, hp.n_vocab}, opt_mm);
  t.add(rope_freqs, "rope_freqs.weight", {hp.rope.n_rot / 2}, {.optional = true});
  layers.resize(static_cast<size_t>(hp.n_layer));
  for (int i = 0; i < hp.n_layer; ++i) {
    LlamaLayer& l = layers[static_cast<size_t>(i)];
    auto name = [i](const char* what) { return fmt::format("blk.{}.{}", i, what); };
    t.add(l.attn_norm, name("attn_norm.weight"), {n_embd});
    t.add(l.wq.weight, name("attn_q.weight"), {n_embd, n_q}, mm);
    t.add(l.wk.weight, name("attn_k.weight"), {n_embd, n_kv}, mm);
    t.add(l.wv.weight, name("attn_v.weight"), {n_embd, n_kv}, mm);
    t.add(l.wo.weight, name("attn_output.weight"), {n_q, n_embd}, mm);
    t.add(l.wo.bias, name("attn_output.bias"), {n_embd}, {.optional = true});
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
  // x: [n_embd, n_tokens] → [n_embd * ..., n_tokens]: the attention block's output.
  ggml_tensor* self_attention(const ForwardInputs& in, const LlamaLayer& l, ggml_tensor* x,
                              int il) const;

  LlamaHparams hp_;
  LlamaWeights w_;
  nn::RopeOptions rope_;
  ModelInfo info_;
  std::unique_ptr<backend::Weights> weights_;
};

ggml_tensor* Llama::self_attention(const ForwardInputs& in, const LlamaLayer& l, ggml_tensor* x,
                                   int il) const {
  ggml_context* ctx = in.graph->ctx();
  const int64_t n_tokens = x->ne[1];
  ggml_tensor* q = ggml_reshape_3d(ctx, nn::linear(ctx, l.wq, x), hp_.head_dim, hp_.n_head,
                                   n_tokens);  // [head_dim, n_head, n_tokens]
  ggml_tensor* k = ggml_reshape_3d(ctx, nn::linear(ctx, l.wk, x), hp_.head_dim, hp_.n_head_kv,
                                   n_tokens);  // [head_dim, n_head_kv, n_tokens]
  ggml_tensor* v = ggml_reshape_3d(ctx, nn::linear(ctx, l.wv, x), hp_.head_dim, hp_.n_head_kv,
                                   n_tokens);  // [head_dim, n_head_kv, n_tokens]
  q = nn::named(nn::rope(ctx, q, in.positions, rope_), "Qcur", il);
  k = nn::named(nn::rope(ctx, k, in.positions, rope_), "Kcur", il);
  nn::named(v, "Vcur", il);
  in.kv->store(*in.graph, il, k, v);
  const nn::AttentionOptions attn{.scale = 1.0f / std::sqrt(static_cast<float>(hp_.head_dim)),
                                  .mask = in.kv->mask(il),
                                  .flash = in.kv->flash(),
                                  .v_transposed = in.kv->v_transposed()};
  ggml_tensor* heads =
      nn::attention(ctx, q, in.kv->keys(ctx, il), in.kv->values(ctx, il), attn, il);
  return nn::linear(ctx, l.wo, heads);  // [n_embd, n_tokens]
}

ggml_tensor* Llama::forward(const ForwardInputs& in) const {
  ggml_context* ctx = in.graph->ctx();
  ggml_tensor* x = nn::named(ggml_get_rows(ctx, w_.token_embd, in.tokens), "inp_embd", -1);
  for (int il = 0; il < hp_.n_layer; ++il) {
    const LlamaLayer& l = w_.layers[static_cast<size_t>(il)];
    ggml_tensor* h = nn::named(nn::rms_norm(ctx, x, l.attn_norm, hp_.rms_eps), "attn_norm", il);
    h = nn::named(self_attention(in, l, h, il), "attn_out", il);
    if (il == hp_.n_layer - 1) {  // only the rows whose logits are wanted go on
      h = ggml_get_rows(ctx, h, in.out_ids);
      x = ggml_get_rows(ctx, x, in.out_ids);
    }
    x = nn::named(ggml_add(ctx, h, x), "ffn_inp", il);
    h = nn::named(nn::rms_norm(ctx, x, l.ffn_norm, hp_.rms_eps), "ffn_norm", il);
    h = nn::swiglu_ffn(ctx, l.ffn, h, il);
    x = nn::named(ggml_add(ctx, h, x), "l_out", il);  // [n_embd, n_tokens]
  }
  x = nn::named(nn::rms_norm(ctx, x, w_.output_norm, hp_.rms_eps), "result_norm", -1);
  ggml_tensor* head = w_.output != nullptr ? w_.output : w_.token_embd;
  return nn::named(ggml_mul_mat(ctx, head, x), "result_output", -1);  // [n_vocab, n_outputs]
}

ggml_tensor* Llama::shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                               int il) const {
  return nn::named(nn::rope(ctx, keys, deltas, nn::rope_shift_options(rope_)), "k_shifted", il);
}

Result<std::unique_ptr<Model>> Llama::load(std::shared_ptr<const gguf::File> file,
                                           const backend::WeightsOptions& options) {
  auto m = std::make_unique<Llama>();
  CRIA_RETURN_IF_ERROR(m->hp_.read(*file));
  TensorTable tensors;
  m->w_.declare(m->hp_, tensors);
  CRIA_RETURN_IF_ERROR(tensors.check(*file));
  backend::WeightsOptions wo = options;
  wo.is_matmul_weight = tensors.matmul_predicate();
  CRIA_ASSIGN_OR_RETURN(backend::Weights weights, backend::Weights::load(std::move(file), wo));
  m->weights_ = std::make_unique<backend::Weights>(std::move(weights));
  CRIA_RETURN_IF_ERROR(tensors.bind(*m->weights_));
  m->rope_ = nn::resolve_rope(m->hp_.rope, m->w_.rope_freqs);
  const LlamaHparams& hp = m->hp_;
  m->info_ = ModelInfo{.arch = "llama",
                       .n_vocab = hp.n_vocab,
                       .n_embd = hp.n_embd,
                       .n_layer = hp.n_layer,
                       .n_head = hp.n_head,
                       .n_head_kv = hp.n_head_kv,
                       .head_dim_k = hp.head_dim,
                       .head_dim_v = hp.head_dim,
                       .n_ctx_train = hp.n_ctx_train};
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("llama", &Llama::load);

}  // namespace cria::engine
