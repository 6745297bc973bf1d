// GGUF reader. The file is memory-mapped; every count, length, offset and
// size is checked against the bytes that are really there before it is used,
// so a truncated or corrupt file is refused with a message, never a crash.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "gguf/types.h"
#include "gguf/value.h"

namespace cria::gguf {

inline constexpr uint32_t kDefaultAlignment = 32;
inline constexpr size_t kMaxDims = 4;        // ggml's GGML_MAX_DIMS
inline constexpr size_t kMaxNameBytes = 63;  // ggml's GGML_MAX_NAME less its NUL

struct KeyValue {
  std::string_view key;
  Value value;
};

struct TensorInfo {
  std::string_view name;
  TensorType type = kTypeF32;
  uint32_t n_dims = 0;
  std::array<int64_t, kMaxDims> ne{1, 1, 1, 1};  // ggml order: ne[0] is the row length
  uint64_t offset = 0;                           // from the start of the data section
  uint64_t size = 0;                             // bytes of data

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

class File {
 public:
  // Maps and parses a file.
  static Result<File> open(const std::string& path);
  // Parses bytes held in memory (tests, fuzzing, blobs being received).
  // `name` only appears in messages.
  static Result<File> parse(std::vector<uint8_t> bytes, std::string name = "<memory>");

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  const std::string& path() const;
  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }

  // The whole file, and where the tensor data section starts in it.
  std::span<const uint8_t> bytes() const;
  uint64_t data_offset() const { return data_offset_; }

  const std::vector<KeyValue>& metadata() const { return kvs_; }
  const Value* find(std::string_view key) const;

  // Typed getters. The error names the key and, for a wrong type, both types.
  Result<std::string_view> get_string(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<const Array*> get_array(std::string_view key) const;
  // Any integer type whose value fits; floats are refused.
  Result<int64_t> get_int(std::string_view key) const;
  Result<uint64_t> get_uint(std::string_view key) const;
  // float32 or float64.
  Result<double> get_float(std::string_view key) const;

  // `general.architecture`, or "" when absent.
  std::string_view architecture() const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;
  // The tensor's bytes in the file (checked at parse time).
  std::span<const uint8_t> tensor_data(const TensorInfo& t) const;
  // For a tensor whose data was copied elsewhere: drops its pages from this process's
  // resident memory when the file is mapped (MappedFile::drop_resident); else nothing.
  void drop_resident(const TensorInfo& t) const;

 private:
  struct Storage;
  File();
  Status parse_all();
  const Value* find_typed(std::string_view key, Error* err, const char* want) const;

  std::unique_ptr<Storage> storage_;
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> kvs_;
  std::unordered_map<std::string_view, size_t> kv_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

}  // namespace cria::gguf
