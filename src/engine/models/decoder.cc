#include "engine/models/decoder.h"

#include "engine/models/cached_attention.h"

#include <cassert>
#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "engine/models/cached_attention.h"
#include "engine/nn/attention.h"

namespace cria::engine {

namespace {

// `<arch>.rope.*`: the dimensions rotated, the base and any context-extension scaling.
Status read_rope(MetadataTable& md, nn::RopeConfig& rope) {
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
  return {};
}

}  // namespace

Status DecoderHparams::read(const gguf::File& file, std::string_view arch_name,
                            const DecoderHparamsOptions& options) {
  arch = std::string(arch_name);
  MetadataTable md(file, arch);
  md.required("context_length", n_ctx_train);
  md.required("embedding_length", n_embd);
  md.required("block_count", n_layer);
  if (options.require_n_ff) {
    md.required("feed_forward_length", n_ff);
  } else {
    md.optional("feed_forward_length", n_ff);
  }
  md.required("attention.head_count", n_head);
  md.required("attention.layer_norm_rms_epsilon", rms_eps);
  md.optional("attention.head_count_kv", n_head_kv);
  md.optional("attention.key_length", head_dim);
  md.optional("vocab_size", n_vocab);
  int32_t head_dim_v = 0;
  md.optional("attention.value_length", head_dim_v);
  CRIA_RETURN_IF_ERROR(md.status());
  const bool head_dim_given = head_dim != 0;
  if (n_head <= 0 || n_embd <= 0 || n_layer <= 0 || (!head_dim_given && n_embd % n_head != 0) ||
      head_dim < 0) {
    return make_error(Errc::kCorrupt,
                      fmt::format("{}: bad {} shape: n_embd {}, n_head {}, n_layer {}, key "
                                  "length {}",
                                  file.path(), arch, n_embd, n_head, n_layer, head_dim));
  }
  if (n_head_kv == 0) n_head_kv = n_head;
  if (!head_dim_given) head_dim = n_embd / n_head;
  if (head_dim_v == 0) head_dim_v = head_dim;

  rope.n_rot = head_dim;
  rope.mode = options.rope_mode;
  rope.n_ctx_orig = n_ctx_train;
  CRIA_RETURN_IF_ERROR(read_rope(md, rope));
  const bool rope_ok = options.partial_rope
                           ? rope.n_rot > 0 && rope.n_rot <= head_dim && rope.n_rot % 2 == 0
                           : rope.n_rot == head_dim;
  if (n_head_kv <= 0 || n_head % n_head_kv != 0 || head_dim_v != head_dim || !rope_ok) {
    return make_error(
        Errc::kUnsupported,
        fmt::format("{}: unsupported {} attention: {} heads, {} KV heads, key length {}, value "
                    "length {}, rope dimensions {}",
                    file.path(), arch, n_head, n_head_kv, head_dim, head_dim_v, rope.n_rot));
  }
  if (n_vocab == 0) {
    const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
    if (embd != nullptr) n_vocab = static_cast<int32_t>(embd->ne[1]);
  }
  return {};
}

ModelInfo DecoderHparams::info() const {
  return ModelInfo{.arch = arch,
                   .n_vocab = n_vocab,
                   .n_embd = n_embd,
                   .n_layer = n_layer,
                   .n_head = n_head,
                   .n_head_kv = n_head_kv,
                   .head_dim_k = head_dim,
                   .head_dim_v = head_dim,
                   .n_ctx_train = n_ctx_train};
}

void declare_attention(TensorTable& t, const DecoderHparams& hp, int il, const AttentionDecl& decl,
                       AttentionWeights& w) {
  const int64_t n_embd = hp.n_embd, n_q = hp.n_embd_q(), n_kv = hp.n_embd_kv();
  const TensorFlags mm{.matmul = true};
  const TensorFlags opt{.optional = true};
  auto name = [il](const char* what) { return fmt::format("blk.{}.{}", il, what); };
  t.add(w.norm, name("attn_norm.weight"), {n_embd});
  t.add(w.wq.weight, name("attn_q.weight"), {n_embd, n_q}, mm);
  t.add(w.wq.bias, name("attn_q.bias"), {n_q}, opt);
  t.add(w.wk.weight, name("attn_k.weight"), {n_embd, n_kv}, mm);
  t.add(w.wk.bias, name("attn_k.bias"), {n_kv}, opt);
  t.add(w.wv.weight, name("attn_v.weight"), {n_embd, n_kv}, mm);
  t.add(w.wv.bias, name("attn_v.bias"), {n_kv}, opt);
  t.add(w.wo.weight, name("attn_output.weight"), {n_q, n_embd}, mm);
  t.add(w.wo.bias, name("attn_output.bias"), {n_embd}, opt);
  if (decl.qk_norm) {
    t.add(w.q_norm, name("attn_q_norm.weight"), {hp.head_dim});
    t.add(w.k_norm, name("attn_k_norm.weight"), {hp.head_dim});
  }
}

SelfAttentionOptions self_attention_options(const DecoderHparams& hp, const nn::RopeOptions& rope) {
  return SelfAttentionOptions{.n_head = hp.n_head,
                              .n_head_kv = hp.n_head_kv,
                              .head_dim = hp.head_dim,
                              .rms_eps = hp.rms_eps,
                              .rope = &rope};
}

QkvHeads project_heads(ggml_context* ctx, const AttentionWeights& w,
                       const SelfAttentionOptions& opt, ggml_tensor* x) {
  const int64_t n_tokens = x->ne[1];
  QkvHeads h;
  h.q = ggml_reshape_3d(ctx, nn::linear(ctx, w.wq, x), opt.head_dim, opt.n_head, n_tokens);
  h.k = ggml_reshape_3d(ctx, nn::linear(ctx, w.wk, x), opt.head_dim, opt.n_head_kv, n_tokens);
  h.v = ggml_reshape_3d(ctx, nn::linear(ctx, w.wv, x), opt.head_dim, opt.n_head_kv, n_tokens);
  return h;
}

ggml_tensor* attend(const ForwardInputs& in, const AttentionWeights& w,
                    const SelfAttentionOptions& opt, const QkvHeads& heads, int il) {
  assert(opt.rope != nullptr);
  ggml_context* ctx = in.graph->ctx();
  ggml_tensor *q = heads.q, *k = heads.k, *v = heads.v;
  // Per-head RMSNorm of queries and keys (Qwen3, Gemma 3), before their rotation.
  if (w.q_norm != nullptr) {
    q = nn::named(nn::rms_norm(ctx, q, w.q_norm, opt.rms_eps), "Qcur_normed", il);
  }
  if (w.k_norm != nullptr) {
    k = nn::named(nn::rms_norm(ctx, k, w.k_norm, opt.rms_eps), "Kcur_normed", il);
  }
  q = nn::named(nn::rope(ctx, q, in.positions, *opt.rope), "Qcur", il);
  k = nn::named(nn::rope(ctx, k, in.positions, *opt.rope), "Kcur", il);
  nn::named(v, "Vcur", il);
  in.kv->store(*in.graph, il, k, v);
  float scale = 1.0f / std::sqrt(static_cast<float>(opt.head_dim));
  if (opt.q_scale > 0.0f) {
    q = nn::named(ggml_scale(ctx, q, opt.q_scale), "Qcur_scaled", il);
    scale = 1.0f;
  }
  const nn::AttentionOptions attn{.scale = scale, .softcap = opt.softcap};
  ggml_tensor* out = cached_attention(ctx, *in.kv, q, attn, il);
  return nn::linear(ctx, w.wo, out);  // [n_embd, n_tokens]
}

ggml_tensor* self_attention(const ForwardInputs& in, const AttentionWeights& w,
                            const SelfAttentionOptions& opt, ggml_tensor* x, int il) {
  return attend(in, w, opt, project_heads(in.graph->ctx(), w, opt, x), il);
}

void DecoderIoWeights::declare(const DecoderHparams& hp, TensorTable& t) {
  t.add(token_embd, "token_embd.weight", {hp.n_embd, hp.n_vocab});
  t.add(output_norm, "output_norm.weight", {hp.n_embd});
  t.add(output, "output.weight", {hp.n_embd, hp.n_vocab}, {.optional = true, .matmul = true});
}

ggml_tensor* DecoderIoWeights::embed(ggml_context* ctx, ggml_tensor* tokens) const {
  return nn::named(ggml_get_rows(ctx, token_embd, tokens), "inp_embd", -1);
}

ggml_tensor* DecoderIoWeights::logits(ggml_context* ctx, ggml_tensor* x, float rms_eps) const {
  x = nn::named(nn::rms_norm(ctx, x, output_norm, rms_eps), "result_norm", -1);
  ggml_tensor* head = output != nullptr ? output : token_embd;
  return nn::named(nn::matmul(ctx, head, x), "result_output", -1);  // [n_vocab, n_outputs]
}

Result<std::unique_ptr<backend::Weights>> load_declared_weights(
    std::shared_ptr<const gguf::File> file, const backend::WeightsOptions& options,
    const TensorTable& tensors) {
  CRIA_RETURN_IF_ERROR(tensors.check(*file));
  backend::WeightsOptions wo = options;
  wo.is_matmul_weight = tensors.matmul_predicate();
  CRIA_ASSIGN_OR_RETURN(backend::Weights weights, backend::Weights::load(std::move(file), wo));
  auto owned = std::make_unique<backend::Weights>(std::move(weights));
  CRIA_RETURN_IF_ERROR(tensors.bind(*owned));
  return owned;
}

}  // namespace cria::engine
