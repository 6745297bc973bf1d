// Metadata values read from a GGUF file. Strings and array payloads are views
// into the file's bytes: a Value is valid while its File lives.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "gguf/types.h"

namespace cria::gguf {

// A typed array. Scalar elements stay in the file (read them with at<T>());
// string elements and nested arrays are indexed when the file is parsed.
struct Array {
  ValueType type = ValueType::kUint8;
  uint64_t count = 0;
  const uint8_t* raw = nullptr;           // scalar arrays: count * scalar_size(type) bytes
  std::vector<std::string_view> strings;  // string arrays
  std::vector<Array> arrays;              // arrays of arrays

  // Element i of a scalar array of exactly type T (the caller checks `type`).
  template <class T>
  T at(uint64_t i) const {
    static_assert(std::is_arithmetic_v<T>);
    T v;
    std::memcpy(&v, raw + i * sizeof(T), sizeof(T));
    return v;
  }
};

using Value = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                           std::string_view, Array, uint64_t, int64_t, double>;

// The variant's alternatives are in ValueType order.
inline ValueType type_of(const Value& v) {
  return static_cast<ValueType>(v.index());
}

// Display form: numbers, quoted strings, arrays as [a, b, ...] with at most
// `max_items` items shown (0 = all).
std::string to_display(const Value& v, size_t max_items = 0);
std::string to_display(const Array& a, size_t max_items = 0);

}  // namespace cria::gguf
