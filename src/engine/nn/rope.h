// Rotary position embedding, with the scaling schemes GGUF metadata names.
#pragma once

#include <cstdint>
#include <string_view>

#include <ggml.h>

#include "base/result.h"

namespace cria::nn {

enum class RopeMode {
  kNorm,  // rotate adjacent pairs (x0, x1), (x2, x3), ... (Llama)
  kNeox,  // rotate (x_i, x_{i + n_rot/2}) (GPT-NeoX, Qwen)
};

enum class RopeScaling {
  kNone,    // plain RoPE; any factor is ignored
  kLinear,  // positions divided by `factor` (position interpolation)
  kYarn,    // YaRN: interpolation by frequency band plus an attention factor
  kLlama3,  // Llama 3.1: per-frequency factors from the `rope_freqs.weight` tensor
};

// "none", "linear", "yarn", "llama3"; kUnsupported for anything else.
Result<RopeScaling> parse_rope_scaling(std::string_view name);

// What the model's metadata says (`<arch>.rope.*`), before it is turned into ggml's arguments.
struct RopeConfig {
  int32_t n_rot = 0;  // dimensions rotated per head
  RopeMode mode = RopeMode::kNorm;
  float freq_base = 10000.0f;
  RopeScaling scaling = RopeScaling::kNone;
  float factor = 1.0f;            // rope.scaling.factor (context extension; 0 or 1 = none)
  int32_t n_ctx_orig = 0;         // rope.scaling.original_context_length, else the training context
  float attn_factor = 1.0f;       // rope.scaling.attn_factor
  float yarn_log_mul = 0.0f;      // rope.scaling.yarn_log_multiplier
  float yarn_ext_factor = -1.0f;  // rope.scaling.yarn_ext_factor; < 0: 1 for YaRN, else 0
  float yarn_beta_fast = 32.0f;
  float yarn_beta_slow = 1.0f;
};

// The arguments of ggml_rope_ext, resolved from a RopeConfig as llama.cpp does.
struct RopeOptions {
  int32_t n_rot = 0;
  RopeMode mode = RopeMode::kNorm;
  int32_t n_ctx_orig = 0;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;  // 1 / factor
  float ext_factor = 0.0f;
  float attn_factor = 1.0f;
  float beta_fast = 32.0f;
  float beta_slow = 1.0f;
  ggml_tensor* freq_factors = nullptr;  // [n_rot / 2] (Llama 3.1's rope_freqs.weight), or none
};

RopeOptions resolve_rope(const RopeConfig& config, ggml_tensor* freq_factors);

// The options that rotate keys already rotated with `opt` by a further position delta (the
// KV cache's context shift): the same frequencies, but a pure rotation. Every scheme's angle
// is linear in the position, so rope(rope(k, p, opt), d, shift) = rope(k, p + d, opt); only
// the magnitude factor, applied once already, must not be applied again.
RopeOptions rope_shift_options(const RopeOptions& opt);

// x: [head_dim, n_head, n_tokens]; positions: I32 [n_tokens] → the same shape, rotated.
ggml_tensor* rope(ggml_context* ctx, ggml_tensor* x, ggml_tensor* positions,
                  const RopeOptions& opt);

}  // namespace cria::nn
