#include "backend/compute.h"

#include <string>

#include <fmt/format.h>

#include "backend/device.h"
#include "base/cpu.h"
#include "base/format.h"

namespace cria::backend {

namespace {

Result<ggml_backend_ptr> init_backend(ggml_backend_dev_t dev) {
  ggml_backend_ptr backend(ggml_backend_dev_init(dev, nullptr));
  if (backend == nullptr) {
    return make_error(Errc::kUnavailable,
                      fmt::format("cannot initialise the {} backend ({})", device_name(dev),
                                  ggml_backend_dev_description(dev)));
  }
  return backend;
}

std::string backend_device_name(ggml_backend_t backend) {
  return device_name(ggml_backend_get_device(backend));
}

}  // namespace

Compute::Compute(Compute&&) noexcept = default;
Compute::~Compute() = default;

Compute& Compute::operator=(Compute&& other) noexcept {
  sched_.reset();  // before the backends it refers to
  backends_ = std::move(other.backends_);
  sched_ = std::move(other.sched_);
  max_nodes_ = other.max_nodes_;
  n_threads_ = other.n_threads_;
  allocated_ = other.allocated_;
  return *this;
}

Result<Compute> Compute::create(const ComputeOptions& options) {
  assert(options.max_nodes > 0);
  init_backends();
  Compute c;
  for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
    ggml_backend_dev_t dev = ggml_backend_dev_get(i);
    const bool gpu = options.use_gpus && device_kind(dev) == DeviceKind::kGpu;
    const bool accel = ggml_backend_dev_type(dev) == GGML_BACKEND_DEVICE_TYPE_ACCEL;
    if (!gpu && !accel) continue;
    CRIA_ASSIGN_OR_RETURN(auto backend, init_backend(dev));
    c.backends_.push_back(std::move(backend));
  }
  CRIA_ASSIGN_OR_RETURN(auto cpu, init_backend(cpu_device()));
  c.backends_.push_back(std::move(cpu));
  c.set_n_threads(options.n_threads);

  std::vector<ggml_backend_t> ptrs;
  for (const auto& b : c.backends_) ptrs.push_back(b.get());
  c.max_nodes_ = options.max_nodes;
  // A graph of max_nodes nodes holds as many leafs; the scheduler's tables hold both.
  c.sched_.reset(ggml_backend_sched_new(ptrs.data(), /*bufts=*/nullptr,
                                        static_cast<int>(ptrs.size()), 2 * options.max_nodes,
                                        /*parallel=*/false, options.op_offload));
  if (c.sched_ == nullptr) {
    return make_error(Errc::kInternal, "cannot create ggml's backend scheduler");
  }
  return c;
}

void Compute::set_n_threads(int n_threads) {
  assert(n_threads >= 0);
  n_threads_ = n_threads > 0 ? n_threads : physical_cores();
  for (const auto& b : backends_) {
    ggml_backend_dev_t dev = ggml_backend_get_device(b.get());
    ggml_backend_reg_t reg = dev != nullptr ? ggml_backend_dev_backend_reg(dev) : nullptr;
    if (reg == nullptr) continue;
    auto set = reinterpret_cast<ggml_backend_set_n_threads_t>(
        ggml_backend_reg_get_proc_address(reg, "ggml_backend_set_n_threads"));
    if (set != nullptr) set(b.get(), n_threads_);
  }
}

Status Compute::check_size(const Graph& graph) const {
  if (graph.max_nodes() > max_nodes_) {
    return make_error(Errc::kInternal,
                      fmt::format("a graph of up to {} nodes does not fit a scheduler sized for "
                                  "{}; raise ComputeOptions::max_nodes",
                                  graph.max_nodes(), max_nodes_));
  }
  return {};
}

Status Compute::reserve(Graph& worst_case) {
  CRIA_RETURN_IF_ERROR(check_size(worst_case));
  allocated_ = 0;  // reserving resets the scheduler
  if (ggml_backend_sched_reserve(sched_.get(), worst_case.cgraph())) return {};
  std::vector<size_t> sizes(backends_.size());
  ggml_backend_sched_reserve_size(sched_.get(), worst_case.cgraph(), sizes.data());
  ggml_backend_sched_reset(sched_.get());
  std::string need;
  for (size_t i = 0; i < backends_.size(); ++i) {
    need += fmt::format("{}{} on {}", need.empty() ? "" : ", ", human_bytes(sizes[i]),
                        backend_device_name(backends_[i].get()));
  }
  return make_error(Errc::kOutOfMemory,
                    fmt::format("cannot allocate compute buffers of {}; use a smaller context "
                                "or batch size",
                                need));
}

Status Compute::compute(Graph& graph) {
  CRIA_RETURN_IF_ERROR(check_size(graph));
  allocated_ = 0;
  ggml_backend_sched_reset(sched_.get());
  if (!ggml_backend_sched_alloc_graph(sched_.get(), graph.cgraph())) {
    return make_error(Errc::kOutOfMemory,
                      "cannot allocate the compute buffers for this batch; use a smaller "
                      "context or batch size");
  }
  CRIA_RETURN_IF_ERROR(run(graph));
  allocated_ = graph.id();
  return {};
}

Status Compute::recompute(Graph& graph) {
  if (!is_allocated(graph)) {
    return make_error(Errc::kInternal, "recompute of a graph that is not the allocated one");
  }
  // The scheduler is still allocated (not reset): computing skips splitting and allocation.
  const Status status = run(graph);
  if (!status.ok()) allocated_ = 0;
  return status;
}

Status Compute::run(Graph& graph) {
  graph.upload_inputs();
  const ggml_status status = ggml_backend_sched_graph_compute(sched_.get(), graph.cgraph());
  if (status != GGML_STATUS_SUCCESS) {
    return make_error(status == GGML_STATUS_ALLOC_FAILED ? Errc::kOutOfMemory : Errc::kInternal,
                      fmt::format("graph compute failed: {}", ggml_status_to_string(status)));
  }
  return {};
}

size_t Compute::compute_buffer_size(ggml_backend_t backend) const {
  return ggml_backend_sched_get_buffer_size(sched_.get(), backend);
}

void Compute::account(MemoryReport& report) const {
  for (const auto& b : backends_) {
    report.add(backend_device_name(b.get()), MemoryKind::kCompute, compute_buffer_size(b.get()));
  }
}

}  // namespace cria::backend
