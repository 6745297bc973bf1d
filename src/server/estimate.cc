#include "server/estimate.h"

#include <algorithm>
#include <filesystem>
#include <vector>

#include <fmt/core.h>

#include "gguf/reader.h"
#include "server/gguf_cache.h"

namespace cria::server {

namespace {

constexpr uint64_t kF16Bytes = 2;
constexpr uint64_t kF32Bytes = 4;

int64_t array_int(const gguf::Array& a, uint64_t i) {
  switch (a.type) {
    case gguf::ValueType::kInt32:
      return a.at<int32_t>(i);
    case gguf::ValueType::kUint32:
      return a.at<uint32_t>(i);
    case gguf::ValueType::kInt64:
      return a.at<int64_t>(i);
    case gguf::ValueType::kUint64:
      return static_cast<int64_t>(a.at<uint64_t>(i));
    default:
      return 0;
  }
}

// A hyper-parameter for each of n_layer layers: one integer for all, or a
// per-layer array (models with varying head counts). `fallback` when absent.
std::vector<int64_t> per_layer(const gguf::File& f, const std::string& key, int64_t n_layer,
                               const std::vector<int64_t>& fallback) {
  if (auto v = f.get_int(key); v.ok()) return std::vector<int64_t>(n_layer, *v);
  if (auto a = f.get_array(key); a.ok() && static_cast<int64_t>((*a)->count) == n_layer) {
    std::vector<int64_t> out(n_layer);
    for (int64_t i = 0; i < n_layer; ++i) out[i] = array_int(**a, i);
    return out;
  }
  return fallback;
}

int64_t int_or(const gguf::File& f, const std::string& key, int64_t fallback) {
  auto v = f.get_int(key);
  return v.ok() ? *v : fallback;
}

// Bytes of K plus V for one token in every layer (n_embd_k_gqa + n_embd_v_gqa, summed).
uint64_t kv_bytes_per_token(const gguf::File& f, const std::string& arch) {
  const int64_t n_layer = int_or(f, arch + ".block_count", 0);
  const int64_t n_embd = int_or(f, arch + ".embedding_length", 0);
  if (n_layer <= 0 || n_embd <= 0) return 0;
  auto heads = per_layer(f, arch + ".attention.head_count", n_layer, {});
  if (heads.empty()) return 0;  // no attention (a recurrent model): no KV cache
  auto kv_heads = per_layer(f, arch + ".attention.head_count_kv", n_layer, heads);
  const int64_t max_heads = std::max<int64_t>(1, *std::max_element(heads.begin(), heads.end()));
  const int64_t key_len = int_or(f, arch + ".attention.key_length", n_embd / max_heads);
  const int64_t value_len = int_or(f, arch + ".attention.value_length", key_len);
  uint64_t per_token = 0;
  for (int64_t h : kv_heads)
    per_token +=
        static_cast<uint64_t>(std::max<int64_t>(h, 0)) * static_cast<uint64_t>(key_len + value_len);
  return per_token * kF16Bytes;
}

int64_t vocab_size(const gguf::File& f, const std::string& arch) {
  if (auto n = f.get_int(arch + ".vocab_size"); n.ok()) return *n;
  if (auto tokens = f.get_array("tokenizer.ggml.tokens"); tokens.ok())
    return static_cast<int64_t>((*tokens)->count);
  return 0;
}

}  // namespace

Result<MemoryEstimate> estimate_memory(const std::string& path, const api::Options& options,
                                       int num_parallel) {
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(Errc::kNotFound, fmt::format("model file {}: {}", path, ec.message()));
  CRIA_ASSIGN_OR_RETURN(auto cached, open_gguf_cached(path));
  const gguf::File& file = *cached;
  const std::string arch(file.architecture());
  const uint64_t ctx_tokens = static_cast<uint64_t>(std::max<int64_t>(options.num_ctx, 0)) *
                              static_cast<uint64_t>(std::max(num_parallel, 1));
  const uint64_t batch =
      std::min(static_cast<uint64_t>(std::max<int64_t>(options.num_batch, 1)), ctx_tokens);
  MemoryEstimate e;
  e.weights = file_size;
  e.kv_cache = ctx_tokens * kv_bytes_per_token(file, arch);
  e.compute = batch * static_cast<uint64_t>(vocab_size(file, arch)) * kF32Bytes + file_size / 10;
  return e;
}

}  // namespace cria::server
