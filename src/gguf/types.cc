#include "gguf/types.h"

#include <array>
#include <cctype>
#include <string>

namespace cria::gguf {

std::string_view value_type_name(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
      return "uint8";
    case ValueType::kInt8:
      return "int8";
    case ValueType::kUint16:
      return "uint16";
    case ValueType::kInt16:
      return "int16";
    case ValueType::kUint32:
      return "uint32";
    case ValueType::kInt32:
      return "int32";
    case ValueType::kFloat32:
      return "float32";
    case ValueType::kBool:
      return "bool";
    case ValueType::kString:
      return "string";
    case ValueType::kArray:
      return "array";
    case ValueType::kUint64:
      return "uint64";
    case ValueType::kInt64:
      return "int64";
    case ValueType::kFloat64:
      return "float64";
  }
  return "invalid";
}

bool is_valid_value_type(uint32_t raw) {
  return raw <= static_cast<uint32_t>(ValueType::kFloat64);
}

size_t scalar_size(ValueType type) {
  switch (type) {
    case ValueType::kUint8:
    case ValueType::kInt8:
    case ValueType::kBool:
      return 1;
    case ValueType::kUint16:
    case ValueType::kInt16:
      return 2;
    case ValueType::kUint32:
    case ValueType::kInt32:
    case ValueType::kFloat32:
      return 4;
    case ValueType::kUint64:
    case ValueType::kInt64:
    case ValueType::kFloat64:
      return 8;
    case ValueType::kString:
    case ValueType::kArray:
      return 0;
  }
  return 0;
}

namespace {

// Indexed by type id; an empty name marks an id that was removed from the format.
constexpr std::array<TensorTypeInfo, kTensorTypeCount> kTensorTypes = {{
    {"f32", 1, 4},         // 0
    {"f16", 1, 2},         // 1
    {"q4_0", 32, 18},      // 2
    {"q4_1", 32, 20},      // 3
    {"", 0, 0},            // 4  (q4_2, removed)
    {"", 0, 0},            // 5  (q4_3, removed)
    {"q5_0", 32, 22},      // 6
    {"q5_1", 32, 24},      // 7
    {"q8_0", 32, 34},      // 8
    {"q8_1", 32, 36},      // 9
    {"q2_K", 256, 84},     // 10
    {"q3_K", 256, 110},    // 11
    {"q4_K", 256, 144},    // 12
    {"q5_K", 256, 176},    // 13
    {"q6_K", 256, 210},    // 14
    {"q8_K", 256, 292},    // 15
    {"iq2_xxs", 256, 66},  // 16
    {"iq2_xs", 256, 74},   // 17
    {"iq3_xxs", 256, 98},  // 18
    {"iq1_s", 256, 50},    // 19
    {"iq4_nl", 32, 18},    // 20
    {"iq3_s", 256, 110},   // 21
    {"iq2_s", 256, 82},    // 22
    {"iq4_xs", 256, 136},  // 23
    {"i8", 1, 1},          // 24
    {"i16", 1, 2},         // 25
    {"i32", 1, 4},         // 26
    {"i64", 1, 8},         // 27
    {"f64", 1, 8},         // 28
    {"iq1_m", 256, 56},    // 29
    {"bf16", 1, 2},        // 30
    {"", 0, 0},            // 31 (q4_0_4_4, removed)
    {"", 0, 0},            // 32 (q4_0_4_8, removed)
    {"", 0, 0},            // 33 (q4_0_8_8, removed)
    {"tq1_0", 256, 54},    // 34
    {"tq2_0", 256, 66},    // 35
    {"", 0, 0},            // 36 (iq4_nl_4_4, removed)
    {"", 0, 0},            // 37 (iq4_nl_4_8, removed)
    {"", 0, 0},            // 38 (iq4_nl_8_8, removed)
    {"mxfp4", 32, 17},     // 39
    {"nvfp4", 64, 36},     // 40
    {"q1_0", 128, 18},     // 41
    {"q2_0", 64, 18},      // 42
}};

constexpr std::array<std::string_view, 42> kFileTypes = {
    "F32",   "F16",     "Q4_0",   "Q4_1",   "",       "",        "",       "Q8_0",   "Q5_0",
    "Q5_1",  "Q2_K",    "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S",  "Q4_K_M", "Q5_K_S", "Q5_K_M",
    "Q6_K",  "IQ2_XXS", "IQ2_XS", "Q2_K_S", "IQ3_XS", "IQ3_XXS", "IQ1_S",  "IQ4_NL", "IQ3_S",
    "IQ3_M", "IQ2_S",   "IQ2_M",  "IQ4_XS", "IQ1_M",  "BF16",    "",       "",       "",
    "TQ1_0", "TQ2_0",   "MXFP4",  "NVFP4",  "Q1_0",   "Q2_0",
};

}  // namespace

std::optional<TensorTypeInfo> tensor_type_info(TensorType type) {
  if (type >= kTensorTypes.size() || kTensorTypes[type].block_size == 0) return std::nullopt;
  return kTensorTypes[type];
}

std::string tensor_type_display(TensorType type) {
  auto info = tensor_type_info(type);
  if (!info) return "type " + std::to_string(type);
  std::string s(info->name);
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::optional<std::string_view> file_type_name(uint32_t file_type) {
  if (file_type >= kFileTypes.size() || kFileTypes[file_type].empty()) return std::nullopt;
  return kFileTypes[file_type];
}

}  // namespace cria::gguf
