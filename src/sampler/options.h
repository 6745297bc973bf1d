// SamplerOptions: Ollama's sampling options with Ollama's defaults, and their
// validation. Plain values; the server fills them from a request.
#pragma once

#include <cstdint>

#include "base/result.h"

namespace cria {

struct SamplerOptions {
  float temperature = 0.8f;     // <= 0: greedy (argmax, ties to the lowest id)
  int32_t top_k = 40;           // <= 0: off
  float top_p = 0.9f;           // [0, 1]; 1: off; 0 keeps only the most likely token
  float min_p = 0.0f;           // [0, 1]; 0: off
  float typical_p = 1.0f;       // [0, 1]; 1: off
  float repeat_penalty = 1.0f;  // > 0; 1: off
  int32_t repeat_last_n = 64;   // 0: off, -1: whole context (num_ctx)
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  int64_t seed = -1;  // -1: random (std::random_device)
};

// Refuses values Ollama cannot make sense of (NaN, probabilities outside [0, 1],
// a non-positive repeat penalty, repeat_last_n < -1). Values Ollama accepts and
// treats as "off" (top_k <= 0, temperature <= 0) pass. The message names the option.
Status validate(const SamplerOptions& options);

}  // namespace cria
