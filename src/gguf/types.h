// The type vocabularies of the GGUF format: metadata value types, tensor
// element types (with their block layout) and llama.cpp's file types.
// Kept as data so that this module does not depend on ggml; a test in
// tests/unit checks the tensor table against ggml's own.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cria::gguf {

enum class ValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

// "uint32", "string", ... ; "invalid" for an out-of-range value.
std::string_view value_type_name(ValueType type);
bool is_valid_value_type(uint32_t raw);
// Bytes of one scalar value; 0 for string and array.
size_t scalar_size(ValueType type);

// A tensor element type id, as stored in the file (== ggml_type).
using TensorType = uint32_t;

struct TensorTypeInfo {
  std::string_view name;  // ggml's name: "f32", "q4_K", ...
  uint32_t block_size;    // elements per block
  uint32_t type_size;     // bytes per block
};

// Layout of a tensor type, or nullopt for ids that are unknown or removed.
std::optional<TensorTypeInfo> tensor_type_info(TensorType type);
// Upper-case display name ("Q4_K", "F16"), or "type <id>" when unknown.
std::string tensor_type_display(TensorType type);

inline constexpr TensorType kTypeF32 = 0;
inline constexpr TensorType kTypeF16 = 1;
inline constexpr TensorType kTypeQ4_0 = 2;
inline constexpr TensorType kTypeQ8_0 = 8;
inline constexpr TensorType kTypeQ4_K = 12;
inline constexpr TensorType kTypeQ6_K = 14;
inline constexpr TensorType kTypeBF16 = 30;
// One past the largest id any table here knows (ggml's GGML_TYPE_COUNT).
inline constexpr TensorType kTensorTypeCount = 43;

// llama.cpp's `general.file_type` names ("Q4_K_M"), or nullopt when unknown.
std::optional<std::string_view> file_type_name(uint32_t file_type);

}  // namespace cria::gguf
