#include "engine/nn/rope.h"

#include <cmath>

#include <fmt/format.h>

namespace cria::nn {

Result<RopeScaling> parse_rope_scaling(std::string_view name) {
  if (name == "none") return RopeScaling::kNone;
  if (name == "linear") return RopeScaling::kLinear;
  if (name == "yarn") return RopeScaling::kYarn;
  if (name == "llama3") return RopeScaling::kLlama3;
  return make_error(Errc::kUnsupported,
                    fmt::format("unsupported rope scaling type '{}' (known: none, linear, yarn, "
                                "llama3)",
                                name));
}

namespace {

// YaRN's magnitude correction for a context extended `scale` times.
float yarn_mscale(float scale, float mscale) {
  return scale <= 1.0f ? 1.0f : 0.1f * mscale * std::log(scale) + 1.0f;
}

}  // namespace

RopeOptions resolve_rope(const RopeConfig& config, ggml_tensor* freq_factors) {
  RopeOptions o;
  o.n_rot = config.n_rot;
  o.mode = config.mode;
  o.n_ctx_orig = config.n_ctx_orig;
  o.freq_base = config.freq_base;
  o.freq_factors = freq_factors;
  o.beta_fast = config.yarn_beta_fast;
  o.beta_slow = config.yarn_beta_slow;
  const bool scaled = config.scaling != RopeScaling::kNone && config.factor != 0.0f;
  o.freq_scale = scaled ? 1.0f / config.factor : 1.0f;
  if (config.scaling == RopeScaling::kLlama3) o.freq_scale = 1.0f;  // the factors do the work
  o.ext_factor = config.yarn_ext_factor >= 0.0f         ? config.yarn_ext_factor
                 : config.scaling == RopeScaling::kYarn ? 1.0f
                                                        : 0.0f;
  o.attn_factor = 1.0f;
  if (o.ext_factor != 0.0f) {
    const float factor = 1.0f / o.freq_scale;
    o.attn_factor = config.yarn_log_mul != 0.0f
                        ? yarn_mscale(factor, 1.0f) / yarn_mscale(factor, config.yarn_log_mul)
                        : yarn_mscale(factor, 1.0f);
    // ggml multiplies by this factor itself when ext_factor != 0: cancel it.
    o.attn_factor *= 1.0f / (1.0f + 0.1f * std::log(factor));
  }
  o.attn_factor *= config.attn_factor;
  return o;
}

RopeOptions rope_shift_options(const RopeOptions& opt) {
  RopeOptions o = opt;
  // ggml multiplies by 1 + 0.1 ln(1 / freq_scale) itself when ext_factor != 0: cancel it.
  o.attn_factor =
      opt.ext_factor != 0.0f ? 1.0f / (1.0f + 0.1f * std::log(1.0f / opt.freq_scale)) : 1.0f;
  return o;
}

ggml_tensor* rope(ggml_context* ctx, ggml_tensor* x, ggml_tensor* positions,
                  const RopeOptions& opt) {
  const int mode = opt.mode == RopeMode::kNeox ? GGML_ROPE_TYPE_NEOX : 0;
  return ggml_rope_ext(ctx, x, positions, opt.freq_factors, opt.n_rot, mode, opt.n_ctx_orig,
                       opt.freq_base, opt.freq_scale, opt.ext_factor, opt.attn_factor,
                       opt.beta_fast, opt.beta_slow);
}

}  // namespace cria::nn
