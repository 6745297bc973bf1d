// A model's tensors as ggml tensors, with their data bound to backend buffers.
//
// On the CPU (and any device that can wrap host memory) the tensors point into
// the memory-mapped GGUF file: no copy is made and the pages are read on first
// use. Elsewhere a device buffer is allocated and the data copied into it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <ggml-cpp.h>

#include "backend/memory.h"
#include "base/result.h"
#include "gguf/reader.h"

namespace cria::backend {

struct WeightsOptions {
  // Where the weights live; nullptr is the CPU.
  ggml_backend_dev_t device = nullptr;
  // Bind the data in place where the device can wrap host memory; false copies it.
  bool use_mmap = true;
  // Copy the weights that a CPU "extra" buffer type accepts (ggml's repacked
  // layouts for Q4_0, Q4_K, ...) into that buffer type, as llama.cpp does by
  // default. Only with the CPU as `device`.
  bool cpu_repack = false;
  // A layout of the engine's own for CPU matmul weights (engine/cpu). Each matmul weight
  // for which `accepts` is true gets a CPU buffer of its own, filled by `pack` from the
  // file's bytes (same size) instead of a plain copy; `pack` also marks the tensor so that
  // the graph builders use the ops that read that layout. Checked before `cpu_repack`.
  // Only with the CPU as `device`. Unset: no packing.
  struct Packer {
    std::function<bool(const gguf::TensorInfo&)> accepts;
    std::function<void(const gguf::TensorInfo&, std::span<const uint8_t> src, ggml_tensor* dst)>
        pack;
  };
  Packer packer = {};
  // Which tensors are matrices used only as the first operand of mul_mat, the
  // one op repacked layouts support. Unset: 2-D tensors named "blk.*" or
  // "output.weight". The engine, which knows how each weight is used, should set it.
  std::function<bool(const gguf::TensorInfo&)> is_matmul_weight = nullptr;
  // Called with the fraction of the weights' bytes loaded (0..1) as tensors are bound or
  // copied: at most about every 1%, and once with exactly 1 at the end. Tensors bound in
  // place count as loaded at once (their pages are read on first use). Unset: no calls.
  std::function<void(float fraction)> on_progress = nullptr;
};

// One buffer holding weights, for accounting.
struct WeightBuffer {
  ggml_backend_buffer_ptr buffer;
  std::string device;   // "CPU", "CUDA0"
  bool mapped = false;  // a view of the file's mapping, not an allocation
  size_t n_tensors = 0;
  // Bytes of the tensors it holds. A mapped view spans from its first tensor to its last,
  // other groups' tensors in between included; only its own count here.
  uint64_t bytes = 0;
};

class Weights {
 public:
  // Creates a tensor for every tensor of `file`, with its GGUF name, shape
  // (ggml order) and type, and binds its data. The file is kept alive by the
  // returned object, since mapped tensors point into it.
  static Result<Weights> load(std::shared_ptr<const gguf::File> file,
                              const WeightsOptions& options = {});

  Weights(Weights&&) noexcept;
  Weights& operator=(Weights&&) noexcept;
  ~Weights();

  // The tensor named `name`, or nullptr.
  ggml_tensor* get(std::string_view name) const;
  // The tensor named `name`, or kNotFound: "missing tensor 'x' in <path>".
  Result<ggml_tensor*> require(std::string_view name) const;

  size_t size() const { return by_name_.size(); }
  const gguf::File& file() const { return *file_; }
  const std::vector<WeightBuffer>& buffers() const { return buffers_; }
  // Bytes of weight buffers, mapped ones included.
  uint64_t total_bytes() const;

  // Adds every weight buffer to `report` (mapped ones as kWeightsMapped).
  void account(MemoryReport& report) const;

 private:
  Weights() = default;
  struct Group;    // tensors bound to one buffer type
  class Progress;  // reports WeightsOptions::on_progress
  // Which buffer type each tensor of `file` goes to.
  static Result<std::vector<Group>> plan(const gguf::File& file, ggml_backend_dev_t dev,
                                         const WeightsOptions& options);
  void create_tensors(Group& group);
  // Binds the group's tensors in place in the file's mapping.
  Status bind_mapped(Group& group, ggml_backend_dev_t dev, Progress& progress);
  // Allocates a buffer of the group's type and copies the tensors' data into it.
  Status copy_into(Group& group, ggml_backend_dev_t dev, const WeightsOptions& options,
                   Progress& progress);

  std::shared_ptr<const gguf::File> file_;
  std::vector<ggml_context_ptr> contexts_;  // tensor metadata, one per buffer type
  std::vector<WeightBuffer> buffers_;
  std::unordered_map<std::string_view, ggml_tensor*> by_name_;  // names viewed in file_
};

}  // namespace cria::backend
