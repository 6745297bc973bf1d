// Engine options from the configuration: threads, flash attention and the KV
// cache type, with Ollama's rules for how they combine.
#pragma once

#include <memory>
#include <string>

#include "base/config.h"
#include "engine/runner/context.h"
#include "tokenizer/tokenizer.h"

namespace cria::cli {

// OLLAMA_FLASH_ATTENTION unset means auto, which is on: flash attention decodes
// faster on the CPU, as llama.cpp's auto also finds, and quantized caches need it.
// Forcing it off with a quantized cache falls back to an F16 cache, as Ollama
// does (with a warning).
engine::ContextOptions context_options(const Config& config);

// A GGUF file opened for the in-process developer commands (generate, embed), with its
// tokenizer.
struct LocalModel {
  std::shared_ptr<const gguf::File> file;
  tokenizer::Tokenizer tok;
};
Result<LocalModel> open_local_model(const std::string& path);

}  // namespace cria::cli
