// Qwen3-MoE (Qwen3-30B-A3B, 235B-A22B): the Qwen3 attention block (per-head q/k RMSNorm before
// NEOX RoPE) and, in place of the dense feed-forward, a mixture of SwiGLU experts: a softmax
// router picks the top expert_used_count of expert_count experts per token and weighs them by
// their probabilities, renormalised to sum to 1.
#include <fmt/format.h>

#include "engine/models/pre_norm_decoder.h"
#include "engine/models/registry.h"
#include "engine/nn/moe.h"

namespace cria::engine {
namespace {

class Qwen3Moe final : public PreNormDecoder {
 public:
  static Result<std::unique_ptr<Model>> load(std::shared_ptr<const gguf::File> file,
                                             const backend::WeightsOptions& options);

 private:
  Status read_feed_forward(const gguf::File& file) override;
  void declare_feed_forward(TensorTable& t, int il) override;
  ggml_tensor* feed_forward(ggml_context* ctx, ggml_tensor* h, int il) const override;

  int32_t n_expert_ = 0;             // expert_count
  int32_t n_expert_used_ = 0;        // expert_used_count
  int32_t n_ff_exp_ = 0;             // expert_feed_forward_length, else n_ff / n_expert_used
  std::vector<nn::MoeWeights> moe_;  // router [n_embd, n_expert]; experts [.., .., n_expert]
};

Status Qwen3Moe::read_feed_forward(const gguf::File& file) {
  MetadataTable md(file, "qwen3moe");
  md.required("expert_count", n_expert_);
  md.required("expert_used_count", n_expert_used_);
  md.optional("expert_feed_forward_length", n_ff_exp_);
  CRIA_RETURN_IF_ERROR(md.status());
  if (n_expert_ <= 0 || n_expert_used_ <= 0 || n_expert_used_ > n_expert_) {
    return make_error(Errc::kCorrupt, fmt::format("{}: bad qwen3moe experts: {} used of {}",
                                                  file.path(), n_expert_used_, n_expert_));
  }
  if (n_ff_exp_ == 0) n_ff_exp_ = hp().n_ff / n_expert_used_;
  if (n_ff_exp_ <= 0) {
    return make_error(
        Errc::kCorrupt,
        fmt::format("{}: missing metadata key 'qwen3moe.expert_feed_forward_length'", file.path()));
  }
  moe_.resize(static_cast<size_t>(hp().n_layer));
  return {};
}

void Qwen3Moe::declare_feed_forward(TensorTable& t, int il) {
  const int64_t n_embd = hp().n_embd, n_ff = n_ff_exp_, n_expert = n_expert_;
  const TensorFlags mm{.matmul = true};
  nn::MoeWeights& m = moe_[static_cast<size_t>(il)];
  auto name = [il](const char* what) { return fmt::format("blk.{}.{}", il, what); };
  t.add(m.router, name("ffn_gate_inp.weight"), {n_embd, n_expert});
  t.add(m.gate_exps, name("ffn_gate_exps.weight"), {n_embd, n_ff, n_expert}, mm);
  t.add(m.up_exps, name("ffn_up_exps.weight"), {n_embd, n_ff, n_expert}, mm);
  t.add(m.down_exps, name("ffn_down_exps.weight"), {n_ff, n_embd, n_expert}, mm);
}

ggml_tensor* Qwen3Moe::feed_forward(ggml_context* ctx, ggml_tensor* h, int il) const {
  const nn::MoeOptions moe{.n_expert_used = n_expert_used_,
                           .gating = nn::MoeGating::kSoftmax,
                           .normalize_weights = true};
  return nn::moe_ffn(ctx, moe_[static_cast<size_t>(il)], h, moe, il);
}

Result<std::unique_ptr<Model>> Qwen3Moe::load(std::shared_ptr<const gguf::File> file,
                                              const backend::WeightsOptions& options) {
  auto m = std::make_unique<Qwen3Moe>();
  CRIA_RETURN_IF_ERROR(
      m->load_from(std::move(file), options,
                   {.arch = "qwen3moe",
                    .hparams = {.rope_mode = nn::RopeMode::kNeox, .require_n_ff = false},
                    .attention = {.qk_norm = true}}));
  return std::unique_ptr<Model>(std::move(m));
}

}  // namespace

CRIA_REGISTER_ARCHITECTURE("qwen3moe", &Qwen3Moe::load);

}  // namespace cria::engine
