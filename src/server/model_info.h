// A GGUF's metadata as /api/show's "model_info": every key with its value, long
// arrays (the vocabulary) emptied unless verbose, plus general.parameter_count.
#pragma once

#include <string>

#include "api/options.h"
#include "base/result.h"

namespace cria::server {

struct ModelInfo {
  api::Json info = api::Json::object();
  api::Json tensors = api::Json::array();  // verbose only
  std::string chat_template;               // tokenizer.chat_template, "" when absent
  std::string architecture;
  int64_t context_length = 0;
  bool has_embeddings_only = false;  // an encoder (bert) model
};

Result<ModelInfo> read_model_info(const std::string& gguf_path, bool verbose);

}  // namespace cria::server
