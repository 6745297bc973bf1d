// The facts about a model that `show` and /api/show report, derived from a
// GGUF file's metadata and tensor index.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gguf/reader.h"

namespace cria::gguf {

struct ModelSummary {
  std::string architecture;                  // general.architecture, "" if absent
  std::string name;                          // general.name
  uint64_t parameter_count = 0;              // elements over all tensors
  std::string quantization;                  // "Q4_K_M", "F16", ...; "" without tensors
  bool quantization_inferred = false;        // no general.file_type: guessed from the tensors
  std::optional<uint64_t> context_length;    // <arch>.context_length
  std::optional<uint64_t> embedding_length;  // <arch>.embedding_length
  std::optional<uint64_t> block_count;       // <arch>.block_count
  std::string tokenizer_model;               // tokenizer.ggml.model ("llama", "gpt2", "bert")
  std::string tokenizer_pre;                 // tokenizer.ggml.pre
  uint64_t vocab_size = 0;                   // entries in tokenizer.ggml.tokens
  bool has_chat_template = false;            // tokenizer.chat_template
  std::vector<std::string> capabilities;     // "completion" or "embedding"; empty without tensors
  std::string license;                       // general.license
};

ModelSummary summarize(const File& file);

}  // namespace cria::gguf
