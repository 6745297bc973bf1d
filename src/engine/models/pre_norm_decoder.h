// The decoder-only transformer whose every layer is
//
//   x = x + self_attention(rms_norm(x, attn_norm))
//   x = x + feed_forward(rms_norm(x, ffn_norm))
//
// between a token embedding and an RMS-normed output head: Llama, Qwen2, Qwen3 (dense SwiGLU
// feed-forward, SwiGluDecoder) and Qwen3-MoE (a mixture of experts). The loop, the weights'
// declaration and loading live here once; an architecture's file says what differs: the
// options (RoPE style, q/k norms, Llama 3.1 frequency factors) and, for another feed-forward,
// a subclass with its own tensors and graph.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/models/decoder.h"

namespace cria::engine {

struct PreNormDecoderOptions {
  std::string arch;               // the GGUF architecture, prefix of the metadata keys
  DecoderHparamsOptions hparams;  // RoPE style, whether feed_forward_length is required
  AttentionDecl attention;        // q/k norms
  bool rope_freqs = false;        // an optional rope_freqs.weight (Llama 3.1 factors)
};

class PreNormDecoder : public Model {
 public:
  const ModelInfo& info() const override { return info_; }
  const backend::Weights& weights() const override { return *weights_; }
  ggml_tensor* forward(const ForwardInputs& in) const final;
  ggml_tensor* shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                          int il) const final;

  // Reads the hyper-parameters, declares and loads every tensor.
  Status load_from(std::shared_ptr<const gguf::File> file, const backend::WeightsOptions& options,
                   const PreNormDecoderOptions& o);

 protected:
  // After the common hyper-parameters are read: the feed-forward's own (and sizing its
  // per-layer storage, whose slots the table keeps).
  virtual Status read_feed_forward(const gguf::File& file) = 0;
  // Layer il's feed-forward tensors.
  virtual void declare_feed_forward(TensorTable& t, int il) = 0;
  // h: [n_embd, n_tokens], already normed → [n_embd, n_tokens].
  virtual ggml_tensor* feed_forward(ggml_context* ctx, ggml_tensor* h, int il) const = 0;

  const DecoderHparams& hp() const { return hp_; }

 private:
  struct Layer {
    AttentionWeights attn;            // attn_norm, q/k/v (+ biases, q/k norms), output
    ggml_tensor* ffn_norm = nullptr;  // [n_embd]
  };

  DecoderHparams hp_;
  DecoderIoWeights io_;                // token_embd, output_norm, output (or tied)
  ggml_tensor* rope_freqs_ = nullptr;  // [n_rot / 2] or none
  std::vector<Layer> layers_;
  nn::RopeOptions rope_;
  ModelInfo info_;
  std::unique_ptr<backend::Weights> weights_;
};

// The dense SwiGLU feed-forward (ffn_gate, ffn_up, ffn_down).
class SwiGluDecoder final : public PreNormDecoder {
 public:
  static Result<std::unique_ptr<Model>> load(std::shared_ptr<const gguf::File> file,
                                             const backend::WeightsOptions& options,
                                             const PreNormDecoderOptions& o);

 private:
  Status read_feed_forward(const gguf::File& file) override;
  void declare_feed_forward(TensorTable& t, int il) override;
  ggml_tensor* feed_forward(ggml_context* ctx, ggml_tensor* h, int il) const override;

  std::vector<nn::SwiGluWeights> ffn_;  // gate, up [n_embd, n_ff]; down [n_ff, n_embd]
};

}  // namespace cria::engine
