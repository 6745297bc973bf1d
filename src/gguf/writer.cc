#include "gguf/writer.h"

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include <fmt/core.h>

namespace cria::gguf {

namespace {

class ByteSink {
 public:
  explicit ByteSink(std::vector<uint8_t>& out) : out_(out) {}
  template <class T>
  void put(T v) {
    put_bytes(&v, sizeof(T));
  }
  void put_bytes(const void* data, size_t n) {
    if (n == 0) return;
    const size_t old = out_.size();
    out_.resize(old + n);
    std::memcpy(out_.data() + old, data, n);
  }
  void put_string(std::string_view s) {
    put<uint64_t>(s.size());
    put_bytes(s.data(), s.size());
  }

 private:
  std::vector<uint8_t>& out_;
};

void put_array(ByteSink& out, const OwnedArray& a) {
  out.put<uint32_t>(static_cast<uint32_t>(a.type));
  out.put<uint64_t>(a.count);
  if (a.type == ValueType::kString) {
    for (const auto& s : a.strings) out.put_string(s);
  } else if (a.type == ValueType::kArray) {
    for (const auto& inner : a.arrays) put_array(out, inner);
  } else {
    out.put_bytes(a.raw.data(), a.raw.size());
  }
}

void put_value(ByteSink& out, const OwnedValue& v) {
  std::visit(
      [&](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          out.put_string(x);
        } else if constexpr (std::is_same_v<T, OwnedArray>) {
          put_array(out, x);
        } else if constexpr (std::is_same_v<T, bool>) {
          out.put<uint8_t>(x ? 1 : 0);
        } else {
          out.put<T>(x);
        }
      },
      v);
}

OwnedArray to_owned(const Array& a) {
  OwnedArray o;
  o.type = a.type;
  o.count = a.count;
  if (a.type == ValueType::kString) {
    o.strings.assign(a.strings.begin(), a.strings.end());
  } else if (a.type == ValueType::kArray) {
    for (const auto& inner : a.arrays) o.arrays.push_back(to_owned(inner));
  } else if (a.count > 0) {
    o.raw.assign(a.raw, a.raw + a.count * scalar_size(a.type));
  }
  return o;
}

uint64_t align_up(uint64_t v, uint64_t alignment) {
  return (v + alignment - 1) / alignment * alignment;
}

}  // namespace

OwnedValue to_owned(const Value& v) {
  return std::visit(
      [](const auto& x) -> OwnedValue {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          return std::string(x);
        } else if constexpr (std::is_same_v<T, Array>) {
          return to_owned(x);
        } else {
          return x;
        }
      },
      v);
}

OwnedArray make_array(const std::vector<std::string>& values) {
  OwnedArray a;
  a.type = ValueType::kString;
  a.count = values.size();
  a.strings = values;
  return a;
}

void Writer::set(const std::string& key, OwnedValue value) {
  for (auto& [k, v] : kvs_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  kvs_.emplace_back(key, std::move(value));
}

void Writer::remove(const std::string& key) {
  std::erase_if(kvs_, [&](const auto& kv) { return kv.first == key; });
}

void Writer::copy_metadata(const File& file) {
  for (const auto& kv : file.metadata()) set(std::string(kv.key), to_owned(kv.value));
}

uint32_t Writer::alignment() const {
  for (const auto& [k, v] : kvs_) {
    if (k == "general.alignment" && std::holds_alternative<uint32_t>(v)) {
      const uint32_t a = std::get<uint32_t>(v);
      if (a != 0 && (a & (a - 1)) == 0) return a;
    }
  }
  return kDefaultAlignment;
}

Result<TensorInfo> Writer::check(const TensorSpec& spec, size_t data_size) const {
  auto fail = [&](const std::string& why) {
    return make_error(Errc::kInvalidArgument, fmt::format("tensor '{}': {}", spec.name, why));
  };
  if (spec.name.empty() || spec.name.size() > kMaxNameBytes) {
    return fail(fmt::format("name must be 1 to {} bytes", kMaxNameBytes));
  }
  for (const auto& t : tensors_) {
    if (t.name == spec.name) return fail("added twice");
  }
  if (spec.shape.empty() || spec.shape.size() > kMaxDims) return fail("needs 1 to 4 dimensions");
  auto info = tensor_type_info(spec.type);
  if (!info) return fail(fmt::format("unknown type id {}", spec.type));
  TensorInfo t;
  t.type = spec.type;
  t.n_dims = static_cast<uint32_t>(spec.shape.size());
  for (size_t d = 0; d < spec.shape.size(); ++d) {
    if (spec.shape[d] < 0) return fail("negative dimension");
    t.ne[d] = spec.shape[d];
  }
  if (t.ne[0] % info->block_size != 0) {
    return fail(fmt::format("row length {} is not a multiple of the {} block size {}", t.ne[0],
                            info->name, info->block_size));
  }
  t.size = static_cast<uint64_t>(t.n_elements() / info->block_size) * info->type_size;
  if (t.size != data_size) {
    return fail(fmt::format("has {} bytes of data, its shape and type need {}", data_size, t.size));
  }
  return t;
}

Status Writer::add_tensor(const TensorSpec& spec, std::span<const uint8_t> data) {
  CRIA_ASSIGN_OR_RETURN(TensorInfo info, check(spec, data.size()));
  tensors_.push_back(Tensor{info, spec.name, data, {}});
  return {};
}

Status Writer::add_tensor(const TensorSpec& spec, std::vector<uint8_t> data) {
  CRIA_ASSIGN_OR_RETURN(TensorInfo info, check(spec, data.size()));
  tensors_.push_back(Tensor{info, spec.name, {}, std::move(data)});
  return {};
}

std::vector<uint8_t> Writer::header() const {
  std::vector<uint8_t> bytes;
  ByteSink out(bytes);
  out.put_bytes("GGUF", 4);
  out.put<uint32_t>(3);
  out.put<uint64_t>(tensors_.size());
  out.put<uint64_t>(kvs_.size());
  for (const auto& [key, value] : kvs_) {
    out.put_string(key);
    out.put<uint32_t>(static_cast<uint32_t>(value.index()));
    put_value(out, value);
  }
  const uint64_t align = alignment();
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    out.put_string(t.name);
    out.put<uint32_t>(t.info.n_dims);
    for (uint32_t d = 0; d < t.info.n_dims; ++d)
      out.put<uint64_t>(static_cast<uint64_t>(t.info.ne[d]));
    out.put<uint32_t>(t.info.type);
    out.put<uint64_t>(offset);
    offset = align_up(offset + t.info.size, align);
  }
  if (!tensors_.empty())
    bytes.resize(align_up(bytes.size(), align), 0);  // no data section otherwise
  return bytes;
}

Status Writer::write_to(FileSink& sink) const {
  CRIA_RETURN_IF_ERROR(sink.write(header()));
  const uint64_t align = alignment();
  static constexpr uint8_t kZeros[256] = {};
  for (const auto& t : tensors_) {
    const std::span<const uint8_t> data = t.owned.empty() ? t.data : std::span(t.owned);
    CRIA_RETURN_IF_ERROR(sink.write(data));
    uint64_t pad = align_up(data.size(), align) - data.size();
    while (pad > 0) {
      const uint64_t n = std::min<uint64_t>(pad, sizeof kZeros);
      CRIA_RETURN_IF_ERROR(sink.write({kZeros, n}));
      pad -= n;
    }
  }
  return {};
}

Status Writer::write(const std::string& path) const {
  return write_file_atomic(path, [&](FileSink& sink) { return write_to(sink); });
}

std::vector<uint8_t> Writer::to_bytes() const {
  class VectorSink final : public FileSink {
   public:
    Status write(std::span<const uint8_t> b) override {
      bytes.insert(bytes.end(), b.begin(), b.end());
      return {};
    }
    uint64_t written() const override { return bytes.size(); }
    std::vector<uint8_t> bytes;
  } sink;
  (void)write_to(sink);  // a vector sink cannot fail
  return std::move(sink.bytes);
}

}  // namespace cria::gguf
