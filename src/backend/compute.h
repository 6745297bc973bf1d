// The backends a model computes on and ggml's scheduler over them: the
// worst-case graph is reserved once, then each graph is allocated in those
// buffers and run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include <ggml-cpp.h>

#include "backend/graph.h"
#include "backend/memory.h"
#include "base/result.h"

namespace cria::backend {

struct ComputeOptions {
  // CPU threads; 0 means one per physical core.
  int n_threads = 0;
  // Add a backend for every GPU device there is (the CPU is always last).
  bool use_gpus = true;
  // The largest graph to be computed, as in GraphOptions.
  size_t max_nodes = kDefaultMaxNodes;
  // Let a GPU run large-batch ops whose weights are in host memory.
  bool op_offload = true;
};

class Compute {
 public:
  static Result<Compute> create(const ComputeOptions& options = {});

  Compute(Compute&&) noexcept;
  Compute& operator=(Compute&&) noexcept;
  ~Compute();

  // Sizes the compute buffers for `worst_case` (the largest batch and context
  // to come) and allocates them. Later graphs that fit reuse them.
  Status reserve(Graph& worst_case);
  // Allocates `graph` in the compute buffers, uploads its staged inputs and
  // runs it. Its outputs stay readable until the next compute or reserve.
  Status compute(Graph& graph);
  // Whether `graph` is the graph of the last compute, still allocated: no reserve, no other
  // compute and no Graph::reset since.
  bool is_allocated(const Graph& graph) const {
    return allocated_ != 0 && allocated_ == graph.id();
  }
  // Runs that graph again as it is allocated: uploads its staged inputs (see
  // Graph::restage) and computes, with no scheduling or allocation. kInternal when
  // !is_allocated(graph).
  Status recompute(Graph& graph);

  int n_threads() const { return n_threads_; }
  // 0 means one per physical core.
  void set_n_threads(int n_threads);

  // The backends in priority order; the CPU is last.
  const std::vector<ggml_backend_ptr>& backends() const { return backends_; }
  ggml_backend_t cpu_backend() const { return backends_.back().get(); }
  ggml_backend_sched_t sched() const { return sched_.get(); }

  // Bytes of `backend`'s compute buffer (0 before anything was reserved or computed).
  size_t compute_buffer_size(ggml_backend_t backend) const;
  // Adds each backend's compute buffer to `report`.
  void account(MemoryReport& report) const;

 private:
  Compute() = default;
  Status check_size(const Graph& graph) const;
  // Uploads the staged inputs of the allocated `graph` and computes it.
  Status run(Graph& graph);

  std::vector<ggml_backend_ptr> backends_;
  ggml_backend_sched_ptr sched_;
  size_t max_nodes_ = 0;
  int n_threads_ = 0;
  uint64_t allocated_ = 0;  // Graph::id() of the graph the scheduler holds; 0: none
};

}  // namespace cria::backend
