// GGUF v3 writer: metadata and tensors, written atomically (temp, fsync,
// rename). Used by create/quantize, the benchmark-model generator and tests.
#pragma once

#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "base/fs.h"
#include "base/result.h"
#include "gguf/reader.h"
#include "gguf/types.h"

namespace cria::gguf {

// An array the writer owns. Scalars are kept as little-endian bytes.
struct OwnedArray {
  ValueType type = ValueType::kUint8;
  uint64_t count = 0;
  std::vector<uint8_t> raw;          // scalar arrays
  std::vector<std::string> strings;  // string arrays
  std::vector<OwnedArray> arrays;    // arrays of arrays
};

// Same alternatives, in the same (ValueType) order, as gguf::Value.
using OwnedValue = std::variant<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t, float, bool,
                                std::string, OwnedArray, uint64_t, int64_t, double>;

OwnedValue to_owned(const Value& v);

template <class T>
OwnedArray make_array(const std::vector<T>& values);
OwnedArray make_array(const std::vector<std::string>& values);

struct TensorSpec {
  std::string name;
  TensorType type = kTypeF32;
  std::vector<int64_t> shape;  // ggml order (ne0 first), 1 to 4 dimensions
};

class Writer {
 public:
  // Sets a key; an existing key keeps its position and takes the new value.
  void set(const std::string& key, OwnedValue value);
  // String literals. A template, so that an integer 0 can never be taken for a null pointer.
  template <class Char>
  requires std::is_same_v<Char, char>
  void set(const std::string& key, const Char* s) { set(key, OwnedValue(std::string(s))); }
  void remove(const std::string& key);
  // Copies every metadata entry of `file`, in its order.
  void copy_metadata(const File& file);

  // Adds a tensor whose bytes the caller keeps alive until write() returns.
  Status add_tensor(const TensorSpec& spec, std::span<const uint8_t> data);
  // Adds a tensor whose bytes the writer keeps.
  Status add_tensor(const TensorSpec& spec, std::vector<uint8_t> data);

  Status write(const std::string& path) const;
  std::vector<uint8_t> to_bytes() const;
  Status write_to(FileSink& sink) const;

 private:
  struct Tensor {
    TensorInfo info;
    std::string name;
    std::span<const uint8_t> data;  // borrowed bytes, or
    std::vector<uint8_t> owned;     // bytes the writer keeps
  };
  uint32_t alignment() const;
  std::vector<uint8_t> header() const;
  Result<TensorInfo> check(const TensorSpec& spec, size_t data_size) const;

  std::vector<std::pair<std::string, OwnedValue>> kvs_;
  std::vector<Tensor> tensors_;
};

template <class T>
OwnedArray make_array(const std::vector<T>& values) {
  static_assert(std::is_arithmetic_v<T>);
  OwnedArray a;
  OwnedValue probe = T{};
  a.type = static_cast<ValueType>(probe.index());
  a.count = values.size();
  a.raw.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(a.raw.data(), values.data(), a.raw.size());
  return a;
}

}  // namespace cria::gguf
