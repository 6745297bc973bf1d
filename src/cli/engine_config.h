// Engine options from the configuration: threads, flash attention and the KV
// cache type, with Ollama's rules for how they combine.
#pragma once

#include "base/config.h"
#include "engine/runner/context.h"

namespace cria::cli {

// OLLAMA_FLASH_ATTENTION unset means auto, which is on: flash attention decodes
// faster on the CPU, as llama.cpp's auto also finds, and quantized caches need it.
// Forcing it off with a quantized cache falls back to an F16 cache, as Ollama
// does (with a warning).
engine::ContextOptions context_options(const Config& config);

}  // namespace cria::cli
