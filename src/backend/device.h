// The devices ggml can compute on: the CPU always, GPUs and remote (RPC)
// devices when their backends are built in or loadable.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

#include <ggml-backend.h>

namespace cria::backend {

enum class DeviceKind {
  kCpu,    // host memory, the CPU backend
  kGpu,    // a GPU with its own (or integrated) memory
  kOther,  // accelerators and remote (RPC) devices
};

// "cpu", "gpu", "other".
const char* device_kind_name(DeviceKind kind);

struct DeviceInfo {
  std::string name;         // ggml's device name: "CPU", "CUDA0", "RPC0"
  std::string description;  // e.g. the CPU model or "NVIDIA H100 80GB HBM3"
  std::string backend;      // the registry that owns it: "CPU", "CUDA", "RPC"
  DeviceKind kind = DeviceKind::kOther;
  uint64_t memory_free = 0;          // bytes, as the device reports them now
  uint64_t memory_total = 0;         // bytes
  ggml_backend_dev_t dev = nullptr;  // valid for the life of the process
};

// Loads the dynamically built backends (a GGML_BACKEND_DL build) and routes
// ggml's log into cria::log. Runs once, thread-safely; every function here
// calls it, so calling it directly is only needed before using ggml's own
// registry functions.
void init_backends();

// Every device, in ggml's registry order (GPUs before the CPU).
std::vector<DeviceInfo> list_devices();

// The CPU device; there always is one.
ggml_backend_dev_t cpu_device();

// The device named `name` (as in DeviceInfo::name), or kNotFound listing the names there are.
Result<ggml_backend_dev_t> find_device(std::string_view name);

// The GPU devices (discrete or integrated), in registry order; empty on a CPU-only build.
std::vector<ggml_backend_dev_t> gpu_devices();

DeviceKind device_kind(ggml_backend_dev_t dev);

// ggml's name for a device, or "CPU" for a null device (ggml leaves the device
// of its host-pointer buffer type unset).
std::string device_name(ggml_backend_dev_t dev);

}  // namespace cria::backend
