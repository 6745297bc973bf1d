#include "engine/models/tables.h"

#include <limits>
#include <memory>
#include <unordered_set>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cria::engine {

std::string MetadataTable::full_key(std::string_view key) const {
  return fmt::format("{}.{}", arch_, key);
}

bool MetadataTable::has(std::string_view key) const {
  return file_.find(full_key(key)) != nullptr;
}

void MetadataTable::fail(Error error) {
  if (!ok_) return;
  ok_ = false;
  error_ = std::move(error);
}

Status MetadataTable::status() const {
  if (ok_) return {};
  return error_;
}

template <class T>
void MetadataTable::read(std::string_view key, T& out, bool required) {
  const std::string k = full_key(key);
  if (!required && file_.find(k) == nullptr) return;
  if constexpr (std::is_same_v<T, int32_t>) {
    auto v = file_.get_int(k);
    if (!v.ok()) return fail(v.error());
    if (*v < std::numeric_limits<int32_t>::min() || *v > std::numeric_limits<int32_t>::max()) {
      return fail(make_error(Errc::kCorrupt, fmt::format("{}: metadata key '{}' = {} is out of "
                                                         "range",
                                                         file_.path(), k, *v)));
    }
    out = static_cast<int32_t>(*v);
  } else if constexpr (std::is_same_v<T, float>) {
    auto v = file_.get_float(k);
    if (!v.ok()) return fail(v.error());
    out = static_cast<float>(*v);
  } else if constexpr (std::is_same_v<T, bool>) {
    auto v = file_.get_bool(k);
    if (!v.ok()) return fail(v.error());
    out = *v;
  } else {
    auto v = file_.get_string(k);
    if (!v.ok()) return fail(v.error());
    out = std::string(*v);
  }
}

template void MetadataTable::read<int32_t>(std::string_view, int32_t&, bool);
template void MetadataTable::read<float>(std::string_view, float&, bool);
template void MetadataTable::read<bool>(std::string_view, bool&, bool);
template void MetadataTable::read<std::string>(std::string_view, std::string&, bool);

void TensorTable::add(ggml_tensor*& slot, std::string name, std::initializer_list<int64_t> ne,
                      TensorFlags flags) {
  slot = nullptr;
  decls_.push_back(Decl{&slot, std::move(name), std::vector<int64_t>(ne), flags});
}

namespace {

// "[64 32]": the dimensions a tensor was declared with (trailing 1s of the file dropped).
std::string shape_string(std::span<const int64_t> ne) {
  return fmt::format("[{}]", fmt::join(ne, " "));
}

bool same_shape(const gguf::TensorInfo& t, const std::vector<int64_t>& ne) {
  for (size_t d = 0; d < gguf::kMaxDims; ++d) {
    const int64_t want = d < ne.size() ? ne[d] : 1;
    if (t.ne[d] != want) return false;
  }
  return true;
}

}  // namespace

Status TensorTable::check(const gguf::File& file) const {
  for (const auto& d : decls_) {
    const gguf::TensorInfo* t = file.find_tensor(d.name);
    if (t == nullptr) {
      if (d.flags.optional) continue;
      return make_error(Errc::kCorrupt,
                        fmt::format("{}: missing tensor '{}'", file.path(), d.name));
    }
    if (!same_shape(*t, d.ne)) {
      const std::span<const int64_t> have(t->ne.data(), std::max<size_t>(t->n_dims, 1));
      return make_error(Errc::kCorrupt,
                        fmt::format("{}: tensor '{}' has shape {}, expected {}", file.path(),
                                    d.name, shape_string(have), shape_string(d.ne)));
    }
  }
  return {};
}

std::function<bool(const gguf::TensorInfo&)> TensorTable::matmul_predicate() const {
  auto names = std::make_shared<std::unordered_set<std::string>>();
  for (const auto& d : decls_) {
    if (d.flags.matmul) names->insert(d.name);
  }
  return [names](const gguf::TensorInfo& t) { return names->count(std::string(t.name)) != 0; };
}

Status TensorTable::bind(const backend::Weights& weights) const {
  for (const auto& d : decls_) {
    *d.slot = weights.get(d.name);
    if (*d.slot == nullptr && !d.flags.optional) {
      CRIA_ASSIGN_OR_RETURN(*d.slot, weights.require(d.name));
    }
  }
  return {};
}

}  // namespace cria::engine
