#include "model_presets.h"

namespace cria::bench {

const std::vector<ModelPreset>& presets() {
  static const std::vector<ModelPreset> kPresets = {
      // SmolLM2-135M: its tokenizer has the 49,152 tokens of StarCoder's.
      {.name = "smollm2-135m",
       .arch = "llama",
       .n_layer = 30,
       .n_embd = 576,
       .n_head = 9,
       .n_head_kv = 3,
       .n_ff = 1536,
       .n_vocab = 49152,
       .n_ctx = 8192,
       .rope_base = 100000.0f,
       .vocab_file = "ggml-vocab-starcoder.gguf"},
      {.name = "qwen2.5-0.5b",
       .arch = "qwen2",
       .n_layer = 24,
       .n_embd = 896,
       .n_head = 14,
       .n_head_kv = 2,
       .n_ff = 4864,
       .n_vocab = 151936,
       .n_ctx = 32768,
       .rope_base = 1000000.0f,
       .rms_eps = 1e-6f,
       .vocab_file = ""},
      {.name = "llama3.2-1b",
       .arch = "llama",
       .n_layer = 16,
       .n_embd = 2048,
       .n_head = 32,
       .n_head_kv = 8,
       .n_ff = 8192,
       .n_vocab = 128256,
       .n_ctx = 131072,
       .rope_base = 500000.0f,
       .vocab_file = ""},
      // For tests: builds in milliseconds.
      {.name = "tiny",
       .arch = "llama",
       .n_layer = 2,
       .n_embd = 256,
       .n_head = 4,
       .n_head_kv = 2,
       .n_ff = 512,
       .n_vocab = 512,
       .n_ctx = 512,
       .vocab_file = ""},
  };
  return kPresets;
}

std::optional<ModelPreset> find_preset(std::string_view name) {
  for (const auto& p : presets()) {
    if (p.name == name) return p;
  }
  return std::nullopt;
}

}  // namespace cria::bench
