// The interface every architecture implements, and what the runner gives its graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <ggml.h>

#include "backend/graph.h"
#include "backend/weights.h"
#include "engine/kv/kv_cache.h"

namespace cria::engine {

// The sizes the runner needs to build a cache and buffers around a model.
// How an embedding model turns a sequence's final hidden states into one vector.
enum class Pooling {
  kNone,  // no pooling: a language model
  kMean,  // the average over the sequence's tokens
  kCls,   // the first token's ([CLS])
  kLast,  // the last token's
};

struct ModelInfo {
  std::string arch;  // general.architecture
  int32_t n_vocab = 0;
  int32_t n_embd = 0;
  int32_t n_layer = 0;
  int32_t n_head = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim_k = 0;
  int32_t head_dim_v = 0;
  int32_t n_ctx_train = 0;
  // Sliding-window attention: layer il attends only the last n_swa positions when
  // swa_layers[il] != 0 (n_layer entries). n_swa 0: none.
  int32_t n_swa = 0;
  std::vector<uint8_t> swa_layers = {};
  // Causal attention (a token sees the positions up to its own) or, when false, the whole
  // sequence (BERT): then every token of a sequence must be in the same batch.
  bool causal = true;
  // Not kNone: an embedding model, whose forward() returns the final hidden states
  // [n_embd, n_outputs] instead of logits, pooled per sequence by Context::embed.
  Pooling pooling = Pooling::kNone;

  bool is_embedding() const { return pooling != Pooling::kNone; }
  // The width of forward()'s output rows: n_vocab logits, or n_embd hidden values.
  int32_t n_output() const { return is_embedding() ? n_embd : n_vocab; }
};

// The inputs of one batch's graph, made by the runner.
struct ForwardInputs {
  backend::Graph* graph = nullptr;
  ggml_tensor* tokens = nullptr;     // I32 [n_tokens]
  ggml_tensor* positions = nullptr;  // I32 [n_tokens]
  ggml_tensor* out_ids = nullptr;    // I32 [n_outputs]: the batch rows whose logits are wanted
  const KvBatch* kv = nullptr;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelInfo& info() const = 0;
  virtual const backend::Weights& weights() const = 0;
  // Adds the forward pass to inputs.graph; returns the logits [n_vocab, n_outputs] (an
  // embedding model: the hidden states [n_embd, n_outputs]).
  virtual ggml_tensor* forward(const ForwardInputs& inputs) const = 0;
  // The KV cache's context shift: `keys` ([head_dim_k, n_head_kv, n_cells], F32 or F16) are
  // layer il's cached keys, each cell rotated by forward() at its old position; returns them
  // rotated on by `deltas` (I32 [n_cells], new position - old), with the layer's own RoPE
  // (nn::rope_shift_options). Returns `keys` itself when the layer's keys carry no position.
  virtual ggml_tensor* shift_keys(ggml_context* ctx, ggml_tensor* keys, ggml_tensor* deltas,
                                  int il) const = 0;
};

}  // namespace cria::engine
