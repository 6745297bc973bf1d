#include "backend/device.h"

#include <mutex>
#include <string>

#include <fmt/format.h>

#include "base/log.h"

namespace cria::backend {

namespace {

log::Level to_log_level(ggml_log_level level) {
  switch (level) {
    case GGML_LOG_LEVEL_ERROR:
      return log::Level::kError;
    case GGML_LOG_LEVEL_WARN:
      return log::Level::kWarn;
    case GGML_LOG_LEVEL_INFO:
      return log::Level::kInfo;
    default:
      return log::Level::kDebug;
  }
}

// ggml writes a line in pieces (GGML_LOG_LEVEL_CONT continues the previous
// one); gather them per thread and emit whole lines.
void route_ggml_log(ggml_log_level level, const char* text, void* /*user_data*/) {
  thread_local std::string line;
  thread_local log::Level line_level = log::Level::kInfo;
  if (level != GGML_LOG_LEVEL_CONT) line_level = to_log_level(level);
  line += text;
  if (line.empty() || line.back() != '\n') return;
  line.pop_back();
  log::at(line_level, "ggml: {}", line);
  line.clear();
}

}  // namespace

const char* device_kind_name(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::kCpu:
      return "cpu";
    case DeviceKind::kGpu:
      return "gpu";
    case DeviceKind::kOther:
      return "other";
  }
  return "other";
}

void init_backends() {
  static std::once_flag once;
  std::call_once(once, [] {
    ggml_log_set(route_ggml_log, nullptr);
#ifdef GGML_BACKEND_DL
    // Only a GGML_BACKEND_DL build has backends to load. In the static build
    // every backend is already registered, and load_all would still scan the
    // executable's directory and the working directory and dlopen any
    // libggml-*.so it finds there: a second copy of a backend, never wanted.
    ggml_backend_load_all();
#endif
  });
}

DeviceKind device_kind(ggml_backend_dev_t dev) {
  const ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
  // RPC registries are named "RPC" or "RPC[host:port]"; their devices call themselves GPUs.
  if (reg != nullptr && std::string_view(ggml_backend_reg_name(reg)).starts_with("RPC")) {
    return DeviceKind::kOther;
  }
  switch (ggml_backend_dev_type(dev)) {
    case GGML_BACKEND_DEVICE_TYPE_CPU:
      return DeviceKind::kCpu;
    case GGML_BACKEND_DEVICE_TYPE_GPU:
    case GGML_BACKEND_DEVICE_TYPE_IGPU:
      return DeviceKind::kGpu;
    default:
      return DeviceKind::kOther;
  }
}

std::string device_name(ggml_backend_dev_t dev) {
  return dev == nullptr ? std::string("CPU") : std::string(ggml_backend_dev_name(dev));
}

std::vector<DeviceInfo> list_devices() {
  init_backends();
  std::vector<DeviceInfo> out;
  const size_t n = ggml_backend_dev_count();
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    DeviceInfo info;
    info.name = ggml_backend_dev_name(dev);
    info.description = ggml_backend_dev_description(dev);
    const ggml_backend_reg_t reg = ggml_backend_dev_backend_reg(dev);
    info.backend = reg != nullptr ? ggml_backend_reg_name(reg) : "";
    info.kind = device_kind(dev);
    size_t free = 0;
    size_t total = 0;
    ggml_backend_dev_memory(dev, &free, &total);
    info.memory_free = free;
    info.memory_total = total;
    info.dev = dev;
    out.push_back(std::move(info));
  }
  return out;
}

ggml_backend_dev_t cpu_device() {
  init_backends();
  ggml_backend_dev_t dev = ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
  assert(dev != nullptr && "ggml was built without a CPU backend");
  return dev;
}

Result<ggml_backend_dev_t> find_device(std::string_view name) {
  init_backends();
  std::string names;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    const std::string_view dev_name = ggml_backend_dev_name(dev);
    if (dev_name == name) return dev;
    names += names.empty() ? "" : ", ";
    names += dev_name;
  }
  return make_error(Errc::kNotFound,
                    fmt::format("no device named '{}' (devices: {})", name, names));
}

std::vector<ggml_backend_dev_t> gpu_devices() {
  init_backends();
  std::vector<ggml_backend_dev_t> out;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    if (device_kind(dev) == DeviceKind::kGpu) out.push_back(dev);
  }
  return out;
}

}  // namespace cria::backend
