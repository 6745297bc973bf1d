#include "gguf/value.h"

#include <fmt/core.h>

namespace cria::gguf {

namespace {

std::string quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string element(const Array& a, uint64_t i, size_t max_items) {
  switch (a.type) {
    case ValueType::kUint8:
      return fmt::format("{}", a.at<uint8_t>(i));
    case ValueType::kInt8:
      return fmt::format("{}", a.at<int8_t>(i));
    case ValueType::kUint16:
      return fmt::format("{}", a.at<uint16_t>(i));
    case ValueType::kInt16:
      return fmt::format("{}", a.at<int16_t>(i));
    case ValueType::kUint32:
      return fmt::format("{}", a.at<uint32_t>(i));
    case ValueType::kInt32:
      return fmt::format("{}", a.at<int32_t>(i));
    case ValueType::kFloat32:
      return fmt::format("{}", a.at<float>(i));
    case ValueType::kBool:
      return a.at<uint8_t>(i) ? "true" : "false";
    case ValueType::kString:
      return quote(a.strings[i]);
    case ValueType::kArray:
      return to_display(a.arrays[i], max_items);
    case ValueType::kUint64:
      return fmt::format("{}", a.at<uint64_t>(i));
    case ValueType::kInt64:
      return fmt::format("{}", a.at<int64_t>(i));
    case ValueType::kFloat64:
      return fmt::format("{}", a.at<double>(i));
  }
  return "?";
}

}  // namespace

std::string to_display(const Array& a, size_t max_items) {
  std::string out = "[";
  const uint64_t shown = max_items == 0 || a.count <= max_items ? a.count : max_items;
  for (uint64_t i = 0; i < shown; ++i) {
    if (i > 0) out += ", ";
    out += element(a, i, max_items);
  }
  if (shown < a.count) out += fmt::format(", ... ({} more)", a.count - shown);
  return out + "]";
}

std::string to_display(const Value& v, size_t max_items) {
  return std::visit(
      [&](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          return quote(x);
        } else if constexpr (std::is_same_v<T, Array>) {
          return to_display(x, max_items);
        } else if constexpr (std::is_same_v<T, bool>) {
          return x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>) {
          return fmt::format("{}", static_cast<int>(x));
        } else {
          return fmt::format("{}", x);
        }
      },
      v);
}

}  // namespace cria::gguf
