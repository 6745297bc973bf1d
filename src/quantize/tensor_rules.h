// Which type each tensor gets in a quantized file. These are the rules of
// llama.cpp's llama_model_quantize (src/llama-quant.cpp) for the mixes in
// file_type.h, without an importance matrix or user overrides:
//   - only weights with two or more dimensions are quantized; norms, biases,
//     routers, position embeddings and a few small tensors keep their type;
//   - output.weight (and token_embd.weight when the output is tied to it) gets
//     Q6_K, or Q8_0 when the mix is Q8_0 or the row does not fit the mix's block;
//   - the _S/_M/_L mixes give attn_v, ffn_down and attn_output more bits on
//     some layers (the table in tensor_rules.cc);
//   - a row length that is not a multiple of the chosen type's block falls
//     back to a 32-block type (Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, Q2_K/Q3_K→Q4_0)
//     and, if that does not fit either, to F16.
// Plain C++ (no ggml), so the rules are unit-tested on their own.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/types.h"
#include "quantize/file_type.h"

namespace cria::quantize {

// The hyper-parameters the rules look at.
struct ModelShape {
  std::string arch;        // general.architecture
  uint32_t n_layer = 0;    // <arch>.block_count
  uint32_t n_head = 0;     // <arch>.attention.head_count (layer 0)
  uint32_t n_head_kv = 0;  // <arch>.attention.head_count_kv (layer 0)
  uint32_t n_expert = 0;   // <arch>.expert_count
};

struct TensorDesc {
  std::string_view name;
  gguf::TensorType type = kTypeF32;
  std::array<int64_t, 4> ne{1, 1, 1, 1};  // ggml order: ne[0] is the row length
};

struct TensorChoice {
  gguf::TensorType type = kTypeF32;
  bool fallback = false;  // the rules' type did not fit the row length
};

// The kind of weight a rule is about, from its name. attn_qkv and attn_kv_b
// count as attn_v (llama.cpp treats them alike).
enum class Role {
  kTokenEmbd,
  kOutput,
  kAttnV,
  kAttnK,
  kAttnQ,
  kAttnOutput,
  kFfnDown,
  kFfnGate,
  kFfnUp,
  kOther,
};

Role tensor_role(std::string_view name);

// Whether llama.cpp would quantize this tensor at all (else it keeps its type).
bool may_quantize(const TensorDesc& t);

// `type`, or its fallback when `row_length` is not a multiple of its block.
TensorChoice fit_row_length(gguf::TensorType type, int64_t row_length);

// llama.cpp's layer choice for "more bits" in the _M mixes.
bool use_more_bits(int i_layer, int n_layers);

// The type of every tensor, in the order given. Fails only for a mixture of
// experts whose layer cannot be read from a tensor name (as llama.cpp does).
Result<std::vector<TensorChoice>> choose_tensor_types(std::span<const TensorDesc> tensors,
                                                      const ModelShape& model,
                                                      const FileType& target);

}  // namespace cria::quantize
