// The quantization targets a user may ask for (the names Ollama accepts) and
// what each one means: llama.cpp's `general.file_type` value and the tensor
// type most weights get. Tensor type ids are ggml's (gguf::TensorType).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "gguf/types.h"

namespace cria::quantize {

// ggml tensor type ids used by the quantization rules (checked against ggml
// in file_type.cc).
inline constexpr gguf::TensorType kTypeF32 = 0;
inline constexpr gguf::TensorType kTypeF16 = 1;
inline constexpr gguf::TensorType kTypeQ4_0 = 2;
inline constexpr gguf::TensorType kTypeQ4_1 = 3;
inline constexpr gguf::TensorType kTypeQ5_0 = 6;
inline constexpr gguf::TensorType kTypeQ5_1 = 7;
inline constexpr gguf::TensorType kTypeQ8_0 = 8;
inline constexpr gguf::TensorType kTypeQ2_K = 10;
inline constexpr gguf::TensorType kTypeQ3_K = 11;
inline constexpr gguf::TensorType kTypeQ4_K = 12;
inline constexpr gguf::TensorType kTypeQ5_K = 13;
inline constexpr gguf::TensorType kTypeQ6_K = 14;
inline constexpr gguf::TensorType kTypeBF16 = 30;

// llama.cpp's LLAMA_FTYPE_MOSTLY_* mixes that we produce.
enum class Mix : uint32_t {
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ8_0 = 7,
  kQ5_0 = 8,
  kQ5_1 = 9,
  kQ2_K = 10,
  kQ3_K_S = 11,
  kQ3_K_M = 12,
  kQ3_K_L = 13,
  kQ4_K_S = 14,
  kQ4_K_M = 15,
  kQ5_K_S = 16,
  kQ5_K_M = 17,
  kQ6_K = 18,
};

struct FileType {
  std::string_view name;  // canonical spelling: "q4_K_M"
  Mix mix;                // also the `general.file_type` value
  gguf::TensorType base;  // the type of a weight no rule changes
};

// Every supported target, in Ollama's order of listing.
std::span<const FileType> file_types();

// Looks a target up by name, case-insensitively ("Q4_K_M", "q4_k_m").
// The error lists the supported names.
Result<FileType> parse_file_type(std::string_view name);

// "q4_0, q4_1, ..." for messages.
std::string supported_file_type_names();

inline uint32_t file_type_value(Mix mix) {
  return static_cast<uint32_t>(mix);
}

}  // namespace cria::quantize
