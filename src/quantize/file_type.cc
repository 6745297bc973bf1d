#include "quantize/file_type.h"

#include <array>
#include <cctype>

#include <fmt/core.h>
#include <ggml.h>

namespace cria::quantize {

static_assert(kTypeF32 == GGML_TYPE_F32 && kTypeF16 == GGML_TYPE_F16 &&
              kTypeBF16 == GGML_TYPE_BF16);
static_assert(kTypeQ4_0 == GGML_TYPE_Q4_0 && kTypeQ4_1 == GGML_TYPE_Q4_1);
static_assert(kTypeQ5_0 == GGML_TYPE_Q5_0 && kTypeQ5_1 == GGML_TYPE_Q5_1 &&
              kTypeQ8_0 == GGML_TYPE_Q8_0);
static_assert(kTypeQ2_K == GGML_TYPE_Q2_K && kTypeQ3_K == GGML_TYPE_Q3_K &&
              kTypeQ4_K == GGML_TYPE_Q4_K);
static_assert(kTypeQ5_K == GGML_TYPE_Q5_K && kTypeQ6_K == GGML_TYPE_Q6_K);

namespace {

constexpr std::array<FileType, 14> kFileTypes = {{
    {"q4_0", Mix::kQ4_0, kTypeQ4_0},
    {"q4_1", Mix::kQ4_1, kTypeQ4_1},
    {"q5_0", Mix::kQ5_0, kTypeQ5_0},
    {"q5_1", Mix::kQ5_1, kTypeQ5_1},
    {"q8_0", Mix::kQ8_0, kTypeQ8_0},
    {"q2_K", Mix::kQ2_K, kTypeQ2_K},
    {"q3_K_S", Mix::kQ3_K_S, kTypeQ3_K},
    {"q3_K_M", Mix::kQ3_K_M, kTypeQ3_K},
    {"q3_K_L", Mix::kQ3_K_L, kTypeQ3_K},
    {"q4_K_S", Mix::kQ4_K_S, kTypeQ4_K},
    {"q4_K_M", Mix::kQ4_K_M, kTypeQ4_K},
    {"q5_K_S", Mix::kQ5_K_S, kTypeQ5_K},
    {"q5_K_M", Mix::kQ5_K_M, kTypeQ5_K},
    {"q6_K", Mix::kQ6_K, kTypeQ6_K},
}};

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

}  // namespace

std::span<const FileType> file_types() {
  return kFileTypes;
}

std::string supported_file_type_names() {
  std::string names;
  for (const auto& ft : kFileTypes) {
    if (!names.empty()) names += ", ";
    names += ft.name;
  }
  return names;
}

Result<FileType> parse_file_type(std::string_view name) {
  for (const auto& ft : kFileTypes) {
    if (equal_ignoring_case(ft.name, name)) return ft;
  }
  return make_error(Errc::kInvalidArgument,
                    fmt::format("unsupported quantization type '{}'; supported types are {}", name,
                                supported_file_type_names()));
}

}  // namespace cria::quantize
