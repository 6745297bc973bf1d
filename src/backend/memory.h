// Where a loaded model's memory is, per device: weights, KV cache and compute
// buffers. The owners of buffers add themselves (Weights::account,
// Compute::account, the KV cache through add_kv_buffer); the scheduler and
// `ps` read the totals.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <ggml-backend.h>

namespace cria::backend {

enum class MemoryKind {
  kWeights,        // weights copied into a buffer of the device
  kWeightsMapped,  // weights that are zero-copy views of the mapped model file
  kKv,             // KV cache
  kCompute,        // the scheduler's compute buffers
};

struct DeviceMemory {
  std::string device;           // ggml's device name: "CPU", "CUDA0"
  uint64_t weights = 0;         // bytes of weights, mapped ones included
  uint64_t weights_mapped = 0;  // of `weights`, bytes that are views of the file (page cache)
  uint64_t kv = 0;
  uint64_t compute = 0;

  uint64_t total() const { return weights + kv + compute; }
};

class MemoryReport {
 public:
  void add(std::string_view device, MemoryKind kind, uint64_t bytes);
  // The whole size of `buffer`, on the device of its buffer type.
  void add_buffer(ggml_backend_buffer_t buffer, MemoryKind kind);
  void add_kv_buffer(ggml_backend_buffer_t buffer) { add_buffer(buffer, MemoryKind::kKv); }

  // One entry per device that has anything, in the order they were first added.
  const std::vector<DeviceMemory>& devices() const { return devices_; }
  // The entry of `device`, or nullptr when nothing was added for it.
  const DeviceMemory* find(std::string_view device) const;
  // Every device summed; its `device` is "total".
  DeviceMemory total() const;
  // One line per device: "CPU: weights 1.2 MB (1.2 MB mapped), kv 0 B, compute 84 KB".
  std::string to_string() const;

 private:
  DeviceMemory& entry(std::string_view device);

  std::vector<DeviceMemory> devices_;
};

}  // namespace cria::backend
