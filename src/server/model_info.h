// A GGUF's metadata as /api/show's "model_info": every key with its value, long
// arrays (the vocabulary) emptied unless verbose, plus general.parameter_count.
#pragma once

#include <string>

#include "api/options.h"
#include "base/result.h"
#include "gguf/reader.h"

namespace cria::server {

struct ModelInfo {
  api::Json info = api::Json::object();
  api::Json tensors = api::Json::array();  // verbose only
  std::string chat_template;               // tokenizer.chat_template, "" when absent
  std::string architecture;
  int64_t context_length = 0;
  bool has_embeddings_only = false;  // an embedding model (bert): see is_embedding_model
};

Result<ModelInfo> read_model_info(const std::string& gguf_path, bool verbose);

// An embedding model pools its hidden states (`<arch>.pooling_type` set and not 0, as
// llama.cpp reads it) and generates no text.
bool is_embedding_model(const gguf::File& file);
Result<bool> is_embedding_model(const std::string& gguf_path);

}  // namespace cria::server
