#include "cli/engine_config.h"

#include "base/log.h"

namespace cria::cli {

engine::ContextOptions context_options(const Config& config) {
  engine::ContextOptions opt;
  opt.n_threads = config.num_threads;
  ggml_type kv = GGML_TYPE_F16;
  if (config.kv_cache_type == "q8_0") kv = GGML_TYPE_Q8_0;
  if (config.kv_cache_type == "q4_0") kv = GGML_TYPE_Q4_0;
  const bool quantized = kv != GGML_TYPE_F16;
  if (config.flash_attention == false && quantized) {
    log::warn(
        "OLLAMA_KV_CACHE_TYPE={} needs flash attention, which OLLAMA_FLASH_ATTENTION "
        "turns off: using an f16 cache",
        config.kv_cache_type);
    kv = GGML_TYPE_F16;
  }
  opt.kv_type = kv;
  // Auto: on. On the CPU it decodes faster than the plain path (measured with
  // cria bench against llama-bench, whose auto also picks it), and quantized caches need it.
  opt.flash_attention = config.flash_attention.value_or(true);
  return opt;
}

Result<LocalModel> open_local_model(const std::string& path) {
  CRIA_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(path));
  auto shared = std::make_shared<const gguf::File>(std::move(file));
  CRIA_ASSIGN_OR_RETURN(tokenizer::Tokenizer tok, tokenizer::Tokenizer::from_gguf(*shared));
  return LocalModel{std::move(shared), std::move(tok)};
}

}  // namespace cria::cli
