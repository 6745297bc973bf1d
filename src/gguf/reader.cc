#include "gguf/reader.h"

#include <algorithm>
#include <limits>
#include <utility>
#include <variant>

#include <fmt/core.h>

#include "base/mapped_file.h"
#include "gguf/cursor.h"

namespace cria::gguf {

using detail::Cursor;

struct File::Storage {
  std::string name;
  std::variant<MappedFile, std::vector<uint8_t>> data;

  std::span<const uint8_t> bytes() const {
    if (const auto* m = std::get_if<MappedFile>(&data)) return m->bytes();
    const auto& v = std::get<std::vector<uint8_t>>(data);
    return {v.data(), v.size()};
  }
};

namespace {

constexpr uint32_t kMaxArrayDepth = 8;
// Smallest encodings, used to refuse counts the remaining bytes cannot hold
// before anything is reserved for them.
constexpr uint64_t kMinKvBytes = 8 + 4 + 1;                  // empty key, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;  // empty name, 1 dim, type, offset

Result<Value> parse_value(Cursor& c, ValueType type, uint32_t depth);

Result<Array> parse_array(Cursor& c, uint32_t depth) {
  if (depth >= kMaxArrayDepth) return c.corrupt("arrays nested too deeply");
  CRIA_ASSIGN_OR_RETURN(uint32_t raw_type, c.read<uint32_t>("array element type"));
  if (!is_valid_value_type(raw_type)) {
    return c.corrupt(fmt::format("unknown array element type {}", raw_type));
  }
  Array a;
  a.type = static_cast<ValueType>(raw_type);
  CRIA_ASSIGN_OR_RETURN(a.count, c.read<uint64_t>("array length"));
  if (const size_t elem = scalar_size(a.type); elem > 0) {
    if (a.count > c.remaining() / elem) {
      return c.corrupt(fmt::format("array of {} {} values is longer than the file", a.count,
                                   value_type_name(a.type)));
    }
    CRIA_ASSIGN_OR_RETURN(a.raw, c.take(a.count * elem, "array data"));
    return a;
  }
  // Strings and arrays take at least 8 bytes each.
  if (a.count > c.remaining() / 8) {
    return c.corrupt(fmt::format("array of {} {} values is longer than the file", a.count,
                                 value_type_name(a.type)));
  }
  if (a.type == ValueType::kString) {
    a.strings.reserve(a.count);
    for (uint64_t i = 0; i < a.count; ++i) {
      CRIA_ASSIGN_OR_RETURN(auto s, c.read_string("array string"));
      a.strings.push_back(s);
    }
  } else {
    a.arrays.reserve(a.count);
    for (uint64_t i = 0; i < a.count; ++i) {
      CRIA_ASSIGN_OR_RETURN(auto inner, parse_array(c, depth + 1));
      a.arrays.push_back(std::move(inner));
    }
  }
  return a;
}

template <class T>
Result<Value> scalar(Cursor& c) {
  CRIA_ASSIGN_OR_RETURN(T v, c.read<T>("metadata value"));
  return Value(v);
}

Result<Value> parse_value(Cursor& c, ValueType type, uint32_t depth) {
  switch (type) {
    case ValueType::kUint8:
      return scalar<uint8_t>(c);
    case ValueType::kInt8:
      return scalar<int8_t>(c);
    case ValueType::kUint16:
      return scalar<uint16_t>(c);
    case ValueType::kInt16:
      return scalar<int16_t>(c);
    case ValueType::kUint32:
      return scalar<uint32_t>(c);
    case ValueType::kInt32:
      return scalar<int32_t>(c);
    case ValueType::kFloat32:
      return scalar<float>(c);
    case ValueType::kBool: {
      CRIA_ASSIGN_OR_RETURN(uint8_t b, c.read<uint8_t>("metadata value"));
      return Value(b != 0);
    }
    case ValueType::kString: {
      CRIA_ASSIGN_OR_RETURN(auto s, c.read_string("metadata string"));
      return Value(s);
    }
    case ValueType::kArray: {
      CRIA_ASSIGN_OR_RETURN(auto a, parse_array(c, depth));
      return Value(std::move(a));
    }
    case ValueType::kUint64:
      return scalar<uint64_t>(c);
    case ValueType::kInt64:
      return scalar<int64_t>(c);
    case ValueType::kFloat64:
      return scalar<double>(c);
  }
  return c.corrupt("unknown value type");
}

Status check_header(Cursor& c, uint32_t& version) {
  CRIA_ASSIGN_OR_RETURN(uint32_t magic, c.read<uint32_t>("magic"));
  if (magic != 0x46554747u) {  // "GGUF" little-endian
    return c.corrupt("not a GGUF file (the first four bytes are not \"GGUF\")");
  }
  CRIA_ASSIGN_OR_RETURN(version, c.read<uint32_t>("version"));
  if (version == 1) return c.corrupt("GGUF version 1 is obsolete; convert the model again");
  if ((version & 0xFFFFu) == 0 && version != 0) {
    return c.unsupported("big-endian GGUF files are not supported");
  }
  if (version != 2 && version != 3) {
    return c.unsupported(fmt::format("unsupported GGUF version {}", version));
  }
  return {};
}

uint64_t align_up(uint64_t v, uint64_t alignment) {
  return (v + alignment - 1) / alignment * alignment;
}

// Shape and size of one tensor, with every product checked for overflow.
Status check_shape(Cursor& c, TensorInfo& t) {
  auto info = tensor_type_info(t.type);
  if (!info) {
    return c.corrupt(fmt::format("tensor '{}' has unknown type id {}", t.name, t.type));
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t n = 1;
  for (uint32_t d = 0; d < kMaxDims; ++d) {
    if (t.ne[d] < 0) return c.corrupt(fmt::format("tensor '{}' has a negative dimension", t.name));
    if (t.ne[d] != 0 && n > kMax / t.ne[d]) {
      return c.corrupt(fmt::format("tensor '{}' has too many elements", t.name));
    }
    n *= t.ne[d];
  }
  if (t.ne[0] % info->block_size != 0) {
    return c.corrupt(
        fmt::format("tensor '{}' of type {} has rows of {} elements, not a multiple "
                    "of its block size {}",
                    t.name, info->name, t.ne[0], info->block_size));
  }
  const uint64_t row = static_cast<uint64_t>(t.ne[0] / info->block_size) * info->type_size;
  const uint64_t rows = static_cast<uint64_t>(n == 0 ? 0 : n / t.ne[0]);
  if (rows != 0 && row > std::numeric_limits<uint64_t>::max() / rows) {
    return c.corrupt(fmt::format("tensor '{}' is too large", t.name));
  }
  t.size = row * rows;
  return {};
}

Result<TensorInfo> parse_tensor_info(Cursor& c, uint32_t alignment) {
  TensorInfo t;
  CRIA_ASSIGN_OR_RETURN(t.name, c.read_string("tensor name"));
  if (t.name.empty()) return c.corrupt("a tensor has an empty name");
  if (t.name.size() > kMaxNameBytes) {
    return c.corrupt(fmt::format("tensor name '{}...' is longer than {} bytes",
                                 t.name.substr(0, 32), kMaxNameBytes));
  }
  CRIA_ASSIGN_OR_RETURN(t.n_dims, c.read<uint32_t>("tensor dimension count"));
  if (t.n_dims == 0 || t.n_dims > kMaxDims) {
    return c.corrupt(
        fmt::format("tensor '{}' has {} dimensions (1 to {} allowed)", t.name, t.n_dims, kMaxDims));
  }
  for (uint32_t d = 0; d < t.n_dims; ++d) {
    CRIA_ASSIGN_OR_RETURN(uint64_t ne, c.read<uint64_t>("tensor dimension"));
    if (ne > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return c.corrupt(fmt::format("tensor '{}' has dimension {} = {}", t.name, d, ne));
    }
    t.ne[d] = static_cast<int64_t>(ne);
  }
  CRIA_ASSIGN_OR_RETURN(t.type, c.read<uint32_t>("tensor type"));
  CRIA_ASSIGN_OR_RETURN(t.offset, c.read<uint64_t>("tensor offset"));
  CRIA_RETURN_IF_ERROR(check_shape(c, t));
  if (t.offset % alignment != 0) {
    return c.corrupt(fmt::format("tensor '{}' offset {} is not a multiple of the alignment {}",
                                 t.name, t.offset, alignment));
  }
  return t;
}

}  // namespace

File::File() : storage_(std::make_unique<Storage>()) {}
File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

const std::string& File::path() const {
  return storage_->name;
}
std::span<const uint8_t> File::bytes() const {
  return storage_->bytes();
}

Result<File> File::open(const std::string& path) {
  CRIA_ASSIGN_OR_RETURN(auto mapped, MappedFile::open(path));
  File f;
  f.storage_->name = path;
  f.storage_->data = std::move(mapped);
  CRIA_RETURN_IF_ERROR(f.parse_all());
  return f;
}

Result<File> File::parse(std::vector<uint8_t> bytes, std::string name) {
  File f;
  f.storage_->name = std::move(name);
  f.storage_->data = std::move(bytes);
  CRIA_RETURN_IF_ERROR(f.parse_all());
  return f;
}

Status File::parse_all() {
  const auto all = bytes();
  Cursor c(all, storage_->name);
  CRIA_RETURN_IF_ERROR(check_header(c, version_));
  CRIA_ASSIGN_OR_RETURN(uint64_t n_tensors, c.read<uint64_t>("tensor count"));
  CRIA_ASSIGN_OR_RETURN(uint64_t n_kv, c.read<uint64_t>("metadata count"));
  if (n_kv > c.remaining() / kMinKvBytes) {
    return c.corrupt(fmt::format("{} metadata entries cannot fit in the file", n_kv));
  }
  if (n_tensors > c.remaining() / kMinTensorInfoBytes) {
    return c.corrupt(fmt::format("{} tensors cannot fit in the file", n_tensors));
  }

  kvs_.reserve(n_kv);
  for (uint64_t i = 0; i < n_kv; ++i) {
    CRIA_ASSIGN_OR_RETURN(auto key, c.read_string("metadata key"));
    CRIA_ASSIGN_OR_RETURN(uint32_t raw_type, c.read<uint32_t>("metadata type"));
    if (!is_valid_value_type(raw_type)) {
      return c.corrupt(fmt::format("metadata '{}' has unknown type {}", key, raw_type));
    }
    CRIA_ASSIGN_OR_RETURN(auto value, parse_value(c, static_cast<ValueType>(raw_type), 0));
    if (!kv_index_.emplace(key, kvs_.size()).second) {
      return c.corrupt(fmt::format("metadata key '{}' appears twice", key));
    }
    kvs_.push_back({key, std::move(value)});
  }

  if (const Value* a = find("general.alignment")) {
    const auto* v = std::get_if<uint32_t>(a);
    if (v == nullptr || *v == 0 || (*v & (*v - 1)) != 0) {
      return c.corrupt("general.alignment must be a uint32 power of two");
    }
    alignment_ = *v;
  }

  tensors_.reserve(n_tensors);
  for (uint64_t i = 0; i < n_tensors; ++i) {
    CRIA_ASSIGN_OR_RETURN(auto t, parse_tensor_info(c, alignment_));
    if (!tensor_index_.emplace(t.name, tensors_.size()).second) {
      return c.corrupt(fmt::format("tensor '{}' appears twice", t.name));
    }
    tensors_.push_back(t);
  }

  data_offset_ = align_up(c.pos(), alignment_);
  if (n_tensors == 0) return {};
  if (data_offset_ > all.size()) {
    return c.corrupt("the file ends before its tensor data section starts");
  }
  const uint64_t data_size = all.size() - data_offset_;
  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(tensors_.size());
  for (const auto& t : tensors_) {
    if (t.offset > data_size || t.size > data_size - t.offset) {
      return make_error(
          Errc::kCorrupt,
          fmt::format("{}: truncated GGUF: tensor '{}' needs bytes {}..{} of the "
                      "data section, which has {} bytes",
                      storage_->name, t.name, t.offset, t.offset + t.size, data_size));
    }
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const TensorInfo* a, const TensorInfo* b) { return a->offset < b->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorInfo& prev = *by_offset[i - 1];
    if (prev.offset + prev.size > by_offset[i]->offset) {
      return make_error(Errc::kCorrupt,
                        fmt::format("{}: invalid GGUF: tensors '{}' and '{}' overlap",
                                    storage_->name, prev.name, by_offset[i]->name));
    }
  }
  return {};
}

const Value* File::find(std::string_view key) const {
  auto it = kv_index_.find(key);
  return it == kv_index_.end() ? nullptr : &kvs_[it->second].value;
}

const Value* File::find_typed(std::string_view key, Error* err, const char* want) const {
  const Value* v = find(key);
  if (v == nullptr) {
    *err = make_error(Errc::kNotFound, fmt::format("{}: missing metadata key '{}'", path(), key));
  } else {
    *err = make_error(Errc::kCorrupt, fmt::format("{}: metadata key '{}' has type {}, expected {}",
                                                  path(), key, value_type_name(type_of(*v)), want));
  }
  return v;
}

Result<std::string_view> File::get_string(std::string_view key) const {
  Error err;
  const Value* v = find_typed(key, &err, "string");
  if (const auto* s = v ? std::get_if<std::string_view>(v) : nullptr) return *s;
  return err;
}

Result<bool> File::get_bool(std::string_view key) const {
  Error err;
  const Value* v = find_typed(key, &err, "bool");
  if (const auto* b = v ? std::get_if<bool>(v) : nullptr) return *b;
  return err;
}

Result<const Array*> File::get_array(std::string_view key) const {
  Error err;
  const Value* v = find_typed(key, &err, "array");
  if (const auto* a = v ? std::get_if<Array>(v) : nullptr) return a;
  return err;
}

Result<int64_t> File::get_int(std::string_view key) const {
  Error err;
  const Value* v = find_typed(key, &err, "an integer");
  if (v == nullptr) return err;
  return std::visit(
      [&](const auto& x) -> Result<int64_t> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
          if constexpr (std::is_same_v<T, uint64_t>) {
            if (x > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
              return make_error(
                  Errc::kCorrupt,
                  fmt::format("{}: metadata key '{}' = {} is out of range", path(), key, x));
            }
          }
          return static_cast<int64_t>(x);
        } else {
          return err;
        }
      },
      *v);
}

Result<uint64_t> File::get_uint(std::string_view key) const {
  const Value* v = find(key);
  if (v != nullptr && std::holds_alternative<uint64_t>(*v)) return std::get<uint64_t>(*v);
  CRIA_ASSIGN_OR_RETURN(int64_t i, get_int(key));
  if (i < 0) {
    return make_error(Errc::kCorrupt, fmt::format("{}: metadata key '{}' = {} must not be negative",
                                                  path(), key, i));
  }
  return static_cast<uint64_t>(i);
}

Result<double> File::get_float(std::string_view key) const {
  Error err;
  const Value* v = find_typed(key, &err, "a float");
  if (const auto* f = v ? std::get_if<float>(v) : nullptr) return static_cast<double>(*f);
  if (const auto* d = v ? std::get_if<double>(v) : nullptr) return *d;
  return err;
}

std::string_view File::architecture() const {
  auto arch = get_string("general.architecture");
  return arch.ok() ? *arch : std::string_view();
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

std::span<const uint8_t> File::tensor_data(const TensorInfo& t) const {
  return bytes().subspan(data_offset_ + t.offset, t.size);
}

void File::drop_resident(const TensorInfo& t) const {
  if (const auto* m = std::get_if<MappedFile>(&storage_->data)) m->drop_resident(tensor_data(t));
}

}  // namespace cria::gguf
