#include "backend/memory.h"

#include <fmt/format.h>

#include "backend/device.h"
#include "base/format.h"

namespace cria::backend {

DeviceMemory& MemoryReport::entry(std::string_view device) {
  for (auto& d : devices_) {
    if (d.device == device) return d;
  }
  DeviceMemory& d = devices_.emplace_back();
  d.device = device;
  return d;
}

void MemoryReport::add(std::string_view device, MemoryKind kind, uint64_t bytes) {
  DeviceMemory& d = entry(device);
  switch (kind) {
    case MemoryKind::kWeights:
      d.weights += bytes;
      break;
    case MemoryKind::kWeightsMapped:
      d.weights += bytes;
      d.weights_mapped += bytes;
      break;
    case MemoryKind::kKv:
      d.kv += bytes;
      break;
    case MemoryKind::kCompute:
      d.compute += bytes;
      break;
  }
}

void MemoryReport::add_buffer(ggml_backend_buffer_t buffer, MemoryKind kind) {
  assert(buffer != nullptr);
  ggml_backend_dev_t dev = ggml_backend_buft_get_device(ggml_backend_buffer_get_type(buffer));
  add(device_name(dev), kind, ggml_backend_buffer_get_size(buffer));
}

const DeviceMemory* MemoryReport::find(std::string_view device) const {
  for (const auto& d : devices_) {
    if (d.device == device) return &d;
  }
  return nullptr;
}

DeviceMemory MemoryReport::total() const {
  DeviceMemory sum;
  sum.device = "total";
  for (const auto& d : devices_) {
    sum.weights += d.weights;
    sum.weights_mapped += d.weights_mapped;
    sum.kv += d.kv;
    sum.compute += d.compute;
  }
  return sum;
}

std::string MemoryReport::to_string() const {
  std::string out;
  for (const auto& d : devices_) {
    out += fmt::format("{}: weights {}", d.device, human_bytes(d.weights));
    if (d.weights_mapped != 0) out += fmt::format(" ({} mapped)", human_bytes(d.weights_mapped));
    out += fmt::format(", kv {}, compute {}\n", human_bytes(d.kv), human_bytes(d.compute));
  }
  return out;
}

}  // namespace cria::backend
