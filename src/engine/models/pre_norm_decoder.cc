#include "engine/models/pre_norm_decoder.h"

#include <fmt/format.h>

#include "engine/nn/layers.h"
#include "engine/nn/rope.h"

namespace cria::engine {

namespace {

std::string layer_tensor(int il, const char* what) {
  return fmt::format("blk.{}.{}", il, what);
}

}  // namespace

ggml_tensor* PreNormDecoder::forward(const ForwardInputs& in) const {
  ggml_context* ctx = in.graph->ctx();
  const SelfAttentionOptions attn = self_attention_options(hp_, rope_);
  ggml_tensor* x = io_.embed(ctx, in.tokens);  // [n_embd, n_tokens]
  for (int il = 0; il < hp_.n_layer; ++il) {
    const Layer& l = layers_[static_cast<size_t>(il)];
    ggml_tensor* h = nn::named(nn::rms_norm(ctx, x, l.attn.norm, hp_.rms_eps), "attn_norm", il);
    h = nn::named(self_attention(in, l.attn, attn, h, il), "attn_out", il);
    if (il == hp_.n_layer - 1) {  // only the rows whose logits are wanted go on
      h = ggml_get_rows(ctx, h, in.out_ids);
      x = ggml_get_rows(ctx, x, in.out_ids);
    }
    x = nn::named(ggml_add(ctx, h, x), "ffn_inp", il);
    h = nn::named(nn::rms_norm(ctx, x, l.ffn_norm, hp_.rms_eps), "ffn_norm", il);
    h = feed_forward(ctx, h, il);
    x = nn::named(ggml_add(ctx, h, x), "l_out", il);  // [n_embd, n_tokens]
  }
  return io_.logits(ctx, x, hp_.rms_eps);  // [n_vocab, n_outputs]
}

ggml_tensor* PreNormDecoder::shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                                        int il) const {
  return nn::named(nn::rope(ctx, keys, deltas, nn::rope_shift_options(rope_)), "k_shifted", il);
}

Status PreNormDecoder::load_from(std::shared_ptr<const gguf::File> file,
                                 const backend::WeightsOptions& options,
                                 const PreNormDecoderOptions& o) {
  CRIA_RETURN_IF_ERROR(hp_.read(*file, o.arch, o.hparams));
  CRIA_RETURN_IF_ERROR(read_feed_forward(*file));
  TensorTable t;
  io_.declare(hp_, t);
  if (o.rope_freqs)
    t.add(rope_freqs_, "rope_freqs.weight", {hp_.rope.n_rot / 2}, {.optional = true});
  layers_.resize(static_cast<size_t>(hp_.n_layer));
  for (int il = 0; il < hp_.n_layer; ++il) {
    Layer& l = layers_[static_cast<size_t>(il)];
    declare_attention(t, hp_, il, o.attention, l.attn);
    t.add(l.ffn_norm, layer_tensor(il, "ffn_norm.weight"), {hp_.n_embd});
    declare_feed_forward(t, il);
  }
  CRIA_ASSIGN_OR_RETURN(weights_, load_declared_weights(std::move(file), options, t));
  rope_ = nn::resolve_rope(hp_.rope, rope_freqs_);
  info_ = hp_.info();
  return {};
}

Result<std::unique_ptr<Model>> SwiGluDecoder::load(std::shared_ptr<const gguf::File> file,
                                                   const backend::WeightsOptions& options,
                                                   const PreNormDecoderOptions& o) {
  auto m = std::make_unique<SwiGluDecoder>();
  CRIA_RETURN_IF_ERROR(m->load_from(std::move(file), options, o));
  return std::unique_ptr<Model>(std::move(m));
}

Status SwiGluDecoder::read_feed_forward(const gguf::File&) {
  ffn_.resize(static_cast<size_t>(hp().n_layer));
  return {};
}

void SwiGluDecoder::declare_feed_forward(TensorTable& t, int il) {
  const int64_t n_embd = hp().n_embd, n_ff = hp().n_ff;
  const TensorFlags mm{.matmul = true};
  nn::SwiGluWeights& f = ffn_[static_cast<size_t>(il)];
  t.add(f.gate.weight, layer_tensor(il, "ffn_gate.weight"), {n_embd, n_ff}, mm);
  t.add(f.up.weight, layer_tensor(il, "ffn_up.weight"), {n_embd, n_ff}, mm);
  t.add(f.down.weight, layer_tensor(il, "ffn_down.weight"), {n_ff, n_embd}, mm);
}

ggml_tensor* SwiGluDecoder::feed_forward(ggml_context* ctx, ggml_tensor* h, int il) const {
  return nn::swiglu_ffn(ctx, ffn_[static_cast<size_t>(il)], h, il);
}

}  // namespace cria::engine
