#include "gguf/summary.h"

#include <cstdint>
#include <map>

namespace cria::gguf {

namespace {

std::string string_or_empty(const File& f, const std::string& key) {
  auto v = f.get_string(key);
  return v.ok() ? std::string(*v) : std::string();
}

std::optional<uint64_t> uint_or_none(const File& f, const std::string& key) {
  auto v = f.get_uint(key);
  if (v.ok()) return *v;
  return std::nullopt;
}

// Without general.file_type: the type holding most bytes of matrix weights.
std::string infer_quantization(const File& f) {
  std::map<TensorType, uint64_t> bytes_by_type;
  for (const auto& t : f.tensors()) {
    if (t.n_dims >= 2) bytes_by_type[t.type] += t.size;
  }
  TensorType best = kTypeF32;
  uint64_t best_bytes = 0;
  for (const auto& [type, bytes] : bytes_by_type) {
    if (bytes > best_bytes) best = type, best_bytes = bytes;
  }
  return tensor_type_display(best);
}

std::string quantization(const File& f, bool& inferred) {
  inferred = false;
  if (auto ft = f.get_uint("general.file_type"); ft.ok() && *ft <= UINT32_MAX) {
    if (auto name = file_type_name(static_cast<uint32_t>(*ft))) return std::string(*name);
  }
  inferred = true;
  return infer_quantization(f);
}

}  // namespace

ModelSummary summarize(const File& file) {
  ModelSummary s;
  s.architecture = std::string(file.architecture());
  s.name = string_or_empty(file, "general.name");
  s.license = string_or_empty(file, "general.license");
  for (const auto& t : file.tensors()) s.parameter_count += static_cast<uint64_t>(t.n_elements());
  if (!file.tensors().empty()) s.quantization = quantization(file, s.quantization_inferred);
  const std::string arch = s.architecture;
  s.context_length = uint_or_none(file, arch + ".context_length");
  s.embedding_length = uint_or_none(file, arch + ".embedding_length");
  s.block_count = uint_or_none(file, arch + ".block_count");
  s.tokenizer_model = string_or_empty(file, "tokenizer.ggml.model");
  s.tokenizer_pre = string_or_empty(file, "tokenizer.ggml.pre");
  if (auto tokens = file.get_array("tokenizer.ggml.tokens"); tokens.ok()) {
    s.vocab_size = (*tokens)->count;
  }
  s.has_chat_template = file.get_string("tokenizer.chat_template").ok();
  if (!file.tensors().empty()) {
    // As Ollama decides: a pooling type marks an embedding model.
    const bool embedding = file.find(arch + ".pooling_type") != nullptr;
    s.capabilities.push_back(embedding ? "embedding" : "completion");
  }
  return s;
}

}  // namespace cria::gguf
