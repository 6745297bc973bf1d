// Engine options from the configuration: threads, flash attention and the KV
// cache type, with Ollama's rules for how they combine.
#pragma once

#include "base/config.h"
#include "engine/runner/context.h"

namespace cria::cli {

// OLLAMA_FLASH_ATTENTION unset means auto: the plain attention path on the CPU
// (measured faster there, and what the golden outputs use), unless the KV cache
// is quantized, which needs flash attention. Forcing flash attention off with a
// quantized cache falls back to an F16 cache, as Ollama does (with a warning).
engine::ContextOptions context_options(const Config& config);

}  // namespace cria::cli
