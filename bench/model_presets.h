// Shapes of the benchmark models: real architectures' hyper-parameters, random weights.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cria::bench {

struct ModelPreset {
  std::string name;
  std::string arch;  // GGUF architecture: "llama" or "qwen2" (q/k/v biases)
  int n_layer = 0;
  int n_embd = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int n_ff = 0;
  int n_vocab = 0;
  int n_ctx = 0;
  float rope_base = 10000.0f;
  float rms_eps = 1e-5f;
  bool tied_output = true;  // no output.weight: the output reuses token_embd
  std::string vocab_file;   // a real vocabulary under shared/models/vocab with n_vocab tokens
};

const std::vector<ModelPreset>& presets();
std::optional<ModelPreset> find_preset(std::string_view name);

}  // namespace cria::bench
