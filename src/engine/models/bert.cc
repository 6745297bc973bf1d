// BERT encoders for embeddings (bge, all-MiniLM, nomic-style BERT without RoPE): absolute
// position and token-type embeddings, post-LayerNorm blocks of bidirectional attention and a
// GELU feed-forward, biases on every projection. forward() returns the final hidden states;
// the runner pools them (Context::embed).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/models/cached_attention.h"
#include "engine/models/registry.h"
#include "engine/models/tables.h"
#include "engine/nn/attention.h"
#include "engine/nn/layers.h"

namespace cria::engine {
namespace {

struct BertHparams {
  int32_t n_vocab = 0;  // the rows of token_embd
  int32_t n_ctx_train = 0;
  int32_t n_embd = 0;
  int32_t n_layer = 0;
  int32_t n_ff = 0;
  int32_t n_head = 0;
  int32_t n_token_types = 2;  // tokenizer.ggml.token_type_count
  float norm_eps = 1e-12f;
  bool causal = false;
  int32_t pooling = 1;  // bert.pooling_type: 1 mean, 2 CLS, 3 last

  Status read(const gguf::File& file);
  int32_t head_dim() const { return n_embd / n_head; }
};

Result<Pooling> pooling_of(int32_t type, const std::string& path) {
  switch (type) {
    case 1:
      return Pooling::kMean;
    case 2:
      return Pooling::kCls;
    case 3:
      return Pooling::kLast;
    default:
      return make_error(Errc::kUnsupported,
                        fmt::format("{}: unsupported bert.pooling_type {} (supported: 1 mean, "
                                    "2 cls, 3 last)",
                                    path, type));
  }
}

Status BertHparams::read(const gguf::File& file) {
  MetadataTable md(file, "bert");
  md.required("context_length", n_ctx_train);
  md.required("embedding_length", n_embd);
  md.required("block_count", n_layer);
  md.required("feed_forward_length", n_ff);
  md.required("attention.head_count", n_head);
  md.required("attention.layer_norm_epsilon", norm_eps);
  md.optional("attention.causal", causal);
  md.optional("pooling_type", pooling);
  CRIA_RETURN_IF_ERROR(md.status());
  if (n_head <= 0 || n_embd % n_head != 0 || n_layer <= 0) {
    return make_error(Errc::kCorrupt,
                      fmt::format("{}: bad bert shape: n_embd {}, n_head {}, n_layer {}",
                                  file.path(), n_embd, n_head, n_layer));
  }
  int32_t n_head_kv = n_head;
  md.optional("attention.head_count_kv", n_head_kv);
  CRIA_RETURN_IF_ERROR(md.status());
  if (n_head_kv != n_head) {
    return make_error(Errc::kUnsupported, fmt::format("{}: bert with {} KV heads for {} heads",
                                                      file.path(), n_head_kv, n_head));
  }
  if (const gguf::TensorInfo* types = file.find_tensor("token_types.weight")) {
    n_token_types = static_cast<int32_t>(types->ne[1]);
  }
  if (const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight")) {
    n_vocab = static_cast<int32_t>(embd->ne[1]);
  }
  return {};
}

struct BertLayer {
  nn::Linear wq, wk, wv;  // [n_embd, n_embd] each, with biases
  nn::Linear wo;          // [n_embd, n_embd]
  nn::Linear attn_norm;   // LayerNorm after the attention residual: weight, bias [n_embd]
  nn::Linear up;          // [n_embd, n_ff]
  nn::Linear down;        // [n_ff, n_embd]
  nn::Linear out_norm;    // LayerNorm after the feed-forward residual
};

struct BertWeights {
  ggml_tensor* token_embd;     // [n_embd, n_vocab]
  ggml_tensor* token_types;    // [n_embd, n_token_types]
  ggml_tensor* position_embd;  // [n_embd, n_ctx_train]
  nn::Linear embd_norm;        // LayerNorm of the summed embeddings
  std::vector<BertLayer> layers;

  void declare(const BertHparams& hp, TensorTable& t);
};

void BertWeights::declare(const BertHparams& hp, TensorTable& t) {
  const int64_t n_embd = hp.n_embd, n_ff = hp.n_ff;
  const TensorFlags mm{.matmul = true};
  t.add(token_embd, "token_embd.weight", {n_embd, hp.n_vocab});
  t.add(token_types, "token_types.weight", {n_embd, hp.n_token_types});
  t.add(position_embd, "position_embd.weight", {n_embd, hp.n_ctx_train});
  t.add(embd_norm.weight, "token_embd_norm.weight", {n_embd});
  t.add(embd_norm.bias, "token_embd_norm.bias", {n_embd});
  layers.resize(static_cast<size_t>(hp.n_layer));
  for (int i = 0; i < hp.n_layer; ++i) {
    BertLayer& l = layers[static_cast<size_t>(i)];
    auto name = [i](const char* what) { return fmt::format("blk.{}.{}", i, what); };
    auto linear = [&](nn::Linear& w, const char* what, int64_t n_in, int64_t n_out) {
      t.add(w.weight, name(fmt::format("{}.weight", what).c_str()), {n_in, n_out}, mm);
      t.add(w.bias, name(fmt::format("{}.bias", what).c_str()), {n_out});
    };
    auto norm = [&](nn::Linear& w, const char* what) {
      t.add(w.weight, name(fmt::format("{}.weight", what).c_str()), {n_embd});
      t.add(w.bias, name(fmt::format("{}.bias", what).c_str()), {n_embd});
    };
    linear(l.wq, "attn_q", n_embd, n_embd);
    linear(l.wk, "attn_k", n_embd, n_embd);
    linear(l.wv, "attn_v", n_embd, n_embd);
    linear(l.wo, "attn_output", n_embd, n_embd);
    norm(l.attn_norm, "attn_output_norm");
    linear(l.up, "ffn_up", n_embd, n_ff);
    linear(l.down, "ffn_down", n_ff, n_embd);
    norm(l.out_norm, "layer_output_norm");
  }
}

class Bert final : public Model {
 public:
  const ModelInfo& info() const override { return info_; }
  const backend::Weights& weights() const override { return *weights_; }
  ggml_tensor* forward(const ForwardInputs& in) const override;
  // No rotary embedding: the keys carry no position.
  ggml_tensor* shift_keys(ggml_context*, ggml_tensor* keys, ggml_tensor*, int) const override {
    return keys;
  }

  static Result<std::unique_ptr<Model>> load(std::shared_ptr<const gguf::File> file,
                                             const backend::WeightsOptions& options);

 private:
  // x: [n_embd, n_tokens] → [n_embd, n_tokens]: the attention block's output.
  ggml_tensor* self_attention(const ForwardInputs& in, const BertLayer& l, ggml_tensor* x,
                              int il) const;
  ggml_tensor* layer_norm(ggml_context* ctx, ggml_tensor* x, const nn::Linear& w) const {
    return nn::layer_norm(ctx, x, w.weight, w.bias, hp_.norm_eps);
  }

  BertHparams hp_;
  BertWeights w_;
  ModelInfo info_;
  std::unique_ptr<backend::Weights> weights_;
};

ggml_tensor* Bert::self_attention(const ForwardInputs& in, const BertLayer& l, ggml_tensor* x,
                                  int il) const {
  ggml_context* ctx = in.graph->ctx();
  const int64_t n_tokens = x->ne[1], hd = hp_.head_dim();
  ggml_tensor* q = nn::named(
      ggml_reshape_3d(ctx, nn::linear(ctx, l.wq, x), hd, hp_.n_head, n_tokens), "Qcur", il);
  ggml_tensor* k = nn::named(
      ggml_reshape_3d(ctx, nn::linear(ctx, l.wk, x), hd, hp_.n_head, n_tokens), "Kcur", il);
  ggml_tensor* v = nn::named(
      ggml_reshape_3d(ctx, nn::linear(ctx, l.wv, x), hd, hp_.n_head, n_tokens), "Vcur", il);
  in.kv->store(*in.graph, il, k, v);
  const nn::AttentionOptions attn{.scale = 1.0f / std::sqrt(static_cast<float>(hd))};
  ggml_tensor* heads = cached_attention(ctx, *in.kv, q, attn, il);
  return nn::linear(ctx, l.wo, heads);
}

ggml_tensor* Bert::forward(const ForwardInputs& in) const {
  ggml_context* ctx = in.graph->ctx();
  // Every token has type 0 (a single segment): row 0 of token_types, broadcast.
  ggml_tensor* type0 = ggml_view_1d(ctx, w_.token_types, hp_.n_embd, 0);
  ggml_tensor* x = ggml_get_rows(ctx, w_.token_embd, in.tokens);  // [n_embd, n_tokens]
  x = ggml_add(ctx, x, type0);
  x = ggml_add(ctx, x, ggml_get_rows(ctx, w_.position_embd, in.positions));
  x = nn::named(layer_norm(ctx, x, w_.embd_norm), "inp_norm", -1);
  for (int il = 0; il < hp_.n_layer; ++il) {
    const BertLayer& l = w_.layers[static_cast<size_t>(il)];
    ggml_tensor* h = nn::named(self_attention(in, l, x, il), "attn_out", il);
    if (il == hp_.n_layer - 1) {  // only the rows wanted go on
      h = ggml_get_rows(ctx, h, in.out_ids);
      x = ggml_get_rows(ctx, x, in.out_ids);
    }
    x = nn::named(layer_norm(ctx, ggml_add(ctx, h, x), l.attn_norm), "attn_norm", il);
    h = nn::named(ggml_gelu(ctx, nn::linear(ctx, l.up, x)), "ffn_gelu", il);
    h = nn::named(nn::linear(ctx, l.down, h), "ffn_down", il);
    x = nn::named(layer_norm(ctx, ggml_add(ctx, h, x), l.out_norm), "l_out", il);
  }
  return nn::named(x, "result_embd", -1);  // [n_embd, n_outputs]
}

Result<std::unique_ptr<Model>> Bert::load(std::shared_ptr<const gguf::File> file,
                                          const backend::WeightsOptions& options) {
  auto m = std::make_unique<Bert>();
  CRIA_RETURN_IF_ERROR(m->hp_.read(*file));
  CRIA_ASSIGN_OR_RETURN(const Pooling pooling, pooling_of(m->hp_.pooling, file->path()));
  TensorTable tensors;
  m->w_.declare(m->hp_, tensors);
  CRIA_RETURN_IF_ERROR(tensors.check(*file));
  backend::WeightsOptions wo = options;
  wo.is_matmul_weight = tensors.matmul_predicate();
  CRIA_ASSIGN_OR_RETURN(backend::Weights weights, backend::Weights::load(std::move(file), wo));
  m->weights_ = std::make_unique<backend::Weights>(std::move(weights));
  CRIA_RETURN_IF_ERROR(tensors.bind(*m->weights_));
  const BertHparams& hp = m->hp_;
  m->info_ = ModelInfo{.arch = "bert",
                       .n_vocab = hp.n_vocab,
                       .n_embd = hp.n_embd,
                       .n_layer = hp.n_layer,
                       .n_head = hp.n_head,
                       .n_head_kv = hp.n_head,
                       .head_dim_k = hp.head_dim(),
                       .head_dim_v = hp.head_dim(),
                       .n_ctx_train = hp.n_ctx_train,
                       .causal = hp.causal,
                       .pooling = pooling};
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("bert", &Bert::load);

}  // namespace cria::engine
