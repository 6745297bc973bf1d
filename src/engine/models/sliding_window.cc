#include "engine/models/sliding_window.h"

#include <string>

#include <fmt/format.h>

namespace cria::engine {

std::vector<uint8_t> swa_layers_by_period(int32_t n_layer, int32_t period) {
  std::vector<uint8_t> local(static_cast<size_t>(n_layer > 0 ? n_layer : 0));
  for (int32_t il = 0; il < n_layer; ++il) {
    local[static_cast<size_t>(il)] = period == 0 || il % period < period - 1 ? 1 : 0;
  }
  return local;
}

namespace {

// Element i of a bool or integer array as a flag; false for any other type.
bool array_flag(const gguf::Array& a, uint64_t i, bool& flag) {
  switch (a.type) {
    case gguf::ValueType::kBool:
    case gguf::ValueType::kUint8:
    case gguf::ValueType::kInt8:
      flag = a.at<uint8_t>(i) != 0;
      return true;
    case gguf::ValueType::kUint32:
    case gguf::ValueType::kInt32:
      flag = a.at<uint32_t>(i) != 0;
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<std::vector<uint8_t>> read_swa_layers(const gguf::File& file, std::string_view arch,
                                             int32_t n_layer, int32_t default_period) {
  const std::string key = fmt::format("{}.attention.sliding_window_pattern", arch);
  const gguf::Value* value = file.find(key);
  if (value == nullptr) return swa_layers_by_period(n_layer, default_period);
  if (gguf::type_of(*value) != gguf::ValueType::kArray) {
    CRIA_ASSIGN_OR_RETURN(int64_t period, file.get_int(key));
    if (period < 0 || period > n_layer) {
      return make_error(Errc::kCorrupt, fmt::format("{}: metadata key '{}' = {} is out of range",
                                                    file.path(), key, period));
    }
    return swa_layers_by_period(n_layer, static_cast<int32_t>(period));
  }
  const auto& flags = std::get<gguf::Array>(*value);
  std::vector<uint8_t> local(static_cast<size_t>(n_layer));
  bool ok = flags.count == local.size();
  for (uint64_t i = 0; ok && i < flags.count; ++i) {
    bool flag = false;
    ok = array_flag(flags, i, flag);
    local[i] = flag ? 1 : 0;
  }
  if (!ok) {
    return make_error(Errc::kCorrupt,
                      fmt::format("{}: metadata key '{}' must hold {} bool flags, one per layer",
                                  file.path(), key, n_layer));
  }
  return local;
}

}  // namespace cria::engine
