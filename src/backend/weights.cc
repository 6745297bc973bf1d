#include "backend/weights.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "backend/device.h"
#include "base/format.h"

namespace cria::backend {

struct Weights::Group {
  ggml_backend_buffer_type_t buft = nullptr;  // nullptr: bound in place in the file's mapping
  bool packed = false;                        // copied through WeightsOptions::packer
  std::vector<const gguf::TensorInfo*> infos;
  ggml_context* ctx = nullptr;  // owned by Weights::contexts_
  std::vector<ggml_tensor*> tensors;
};

// Turns bytes loaded into calls of WeightsOptions::on_progress, at most one per kStep.
class Weights::Progress {
 public:
  Progress(const std::function<void(float)>& report, const gguf::File& file) : report_(report) {
    for (const auto& t : file.tensors()) total_ += t.size;
  }

  void advance(uint64_t bytes) {
    if (!report_) return;
    done_ += bytes;
    const float fraction =
        done_ >= total_
            ? 1.0f
            : static_cast<float>(static_cast<double>(done_) / static_cast<double>(total_));
    if (fraction - reported_ >= kStep) emit(fraction);
  }

  // Reports 1 unless the last call did.
  void finish() {
    if (report_ && reported_ < 1.0f) emit(1.0f);
  }

 private:
  static constexpr float kStep = 0.01f;

  void emit(float fraction) {
    reported_ = fraction;
    report_(fraction);
  }

  const std::function<void(float)>& report_;
  uint64_t total_ = 0;
  uint64_t done_ = 0;
  float reported_ = 0.0f;
};

namespace {

bool default_is_matmul_weight(const gguf::TensorInfo& t) {
  return t.n_dims == 2 && (t.name.starts_with("blk.") || t.name == "output.weight");
}

// The CPU's extra buffer types (repacked layouts), or none.
std::vector<ggml_backend_buffer_type_t> cpu_extra_buffer_types(ggml_backend_dev_t cpu) {
  std::vector<ggml_backend_buffer_type_t> out;
  auto get_extra =
      reinterpret_cast<ggml_backend_dev_get_extra_bufts_t>(ggml_backend_reg_get_proc_address(
          ggml_backend_dev_backend_reg(cpu), "ggml_backend_dev_get_extra_bufts"));
  if (get_extra == nullptr) return out;
  for (ggml_backend_buffer_type_t* b = get_extra(cpu); b != nullptr && *b != nullptr; ++b) {
    out.push_back(*b);
  }
  return out;
}

// Whether `dev` can run a mul_mat whose weight (with the shape and type of
// `t`) lives in a buffer of `buft`: a 512-column product stands for every use.
bool supports_matmul_in(ggml_backend_dev_t dev, ggml_backend_buffer_type_t buft,
                        const gguf::TensorInfo& t) {
  ggml_init_params params{};
  params.mem_size = 4 * ggml_tensor_overhead();
  params.no_alloc = true;
  ggml_context_ptr ctx(ggml_init(params));
  ggml_tensor* w = ggml_new_tensor(ctx.get(), static_cast<ggml_type>(t.type),
                                   static_cast<int>(gguf::kMaxDims), t.ne.data());
  // x: {ne0, 512, ne2, ne3}
  ggml_tensor* x = ggml_new_tensor_4d(ctx.get(), GGML_TYPE_F32, t.ne[0], 512, t.ne[2], t.ne[3]);
  ggml_tensor* y = ggml_mul_mat(ctx.get(), w, x);
  ggml_backend_buffer_ptr probe(ggml_backend_buft_alloc_buffer(buft, 0));
  w->buffer = probe.get();
  const bool ok = ggml_backend_dev_supports_op(dev, y);
  w->buffer = nullptr;
  return ok;
}

// The lowest address at or below `p` that is a multiple of `alignment`.
const uint8_t* align_down(const uint8_t* p, size_t alignment) {
  const auto v = reinterpret_cast<uintptr_t>(p);
  return reinterpret_cast<const uint8_t*>(v - v % alignment);
}

// Whether the file's data section can be wrapped as a host-pointer buffer of `dev`.
bool can_map(const gguf::File& file, ggml_backend_dev_t dev, const WeightsOptions& options) {
  if (!options.use_mmap) return false;
  ggml_backend_dev_props props{};
  ggml_backend_dev_get_props(dev, &props);
  if (!props.caps.buffer_from_host_ptr) return false;
  const auto bytes = file.bytes();
  const size_t alignment = ggml_backend_buft_get_alignment(ggml_backend_dev_buffer_type(dev));
  return align_down(bytes.data() + file.data_offset(), alignment) >= bytes.data();
}

}  // namespace

Weights::Weights(Weights&&) noexcept = default;
Weights& Weights::operator=(Weights&&) noexcept = default;
Weights::~Weights() = default;

Result<std::vector<Weights::Group>> Weights::plan(const gguf::File& file, ggml_backend_dev_t dev,
                                                  const WeightsOptions& options) {
  // One group per buffer type; the default one first.
  std::vector<Group> groups(1);
  groups[0].buft = can_map(file, dev, options) ? nullptr : ggml_backend_dev_buffer_type(dev);
  const bool on_cpu = device_kind(dev) == DeviceKind::kCpu;
  const bool packing = on_cpu && options.packer.accepts && options.packer.pack;
  if (packing) {
    Group& packed = groups.emplace_back();
    packed.buft = ggml_backend_dev_buffer_type(dev);
    packed.packed = true;
  }
  const size_t first_extra = groups.size();
  std::vector<ggml_backend_buffer_type_t> extra;
  if (options.cpu_repack && on_cpu) {
    extra = cpu_extra_buffer_types(dev);
    for (auto* buft : extra) groups.emplace_back().buft = buft;
  }
  const auto& is_matmul =
      options.is_matmul_weight ? options.is_matmul_weight : std::function(default_is_matmul_weight);
  for (const auto& t : file.tensors()) {
    if (t.n_elements() == 0) {
      return make_error(Errc::kUnsupported,
                        fmt::format("tensor '{}' in {} has no elements", t.name, file.path()));
    }
    size_t g = 0;
    if (packing && is_matmul(t) && options.packer.accepts(t)) {
      g = 1;
    } else if (!extra.empty() && is_matmul(t)) {
      for (size_t i = 0; i < extra.size() && g == 0; ++i) {
        if (supports_matmul_in(dev, extra[i], t)) g = first_extra + i;
      }
    }
    groups[g].infos.push_back(&t);
  }
  std::erase_if(groups, [](const Group& group) { return group.infos.empty(); });
  return groups;
}

void Weights::create_tensors(Group& group) {
  ggml_init_params params{};
  params.mem_size = group.infos.size() * ggml_tensor_overhead();
  params.no_alloc = true;
  contexts_.emplace_back(ggml_init(params));
  group.ctx = contexts_.back().get();
  for (const auto* t : group.infos) {
    // ne: {ne0, ne1, ne2, ne3} exactly as in the file
    ggml_tensor* tensor = ggml_new_tensor(group.ctx, static_cast<ggml_type>(t->type),
                                          static_cast<int>(gguf::kMaxDims), t->ne.data());
    ggml_format_name(tensor, "%.*s", static_cast<int>(t->name.size()), t->name.data());
    assert(ggml_nbytes(tensor) == t->size);
    group.tensors.push_back(tensor);
    by_name_.emplace(t->name, tensor);
  }
}

Result<Weights> Weights::load(std::shared_ptr<const gguf::File> file,
                              const WeightsOptions& options) {
  assert(file != nullptr);
  ggml_backend_dev_t dev = options.device != nullptr ? options.device : cpu_device();
  CRIA_ASSIGN_OR_RETURN(auto groups, plan(*file, dev, options));
  Weights w;
  w.file_ = std::move(file);
  Progress progress(options.on_progress, *w.file_);
  for (auto& group : groups) {
    w.create_tensors(group);
    if (group.buft == nullptr) {
      CRIA_RETURN_IF_ERROR(w.bind_mapped(group, dev, progress));
    } else {
      CRIA_RETURN_IF_ERROR(w.copy_into(group, dev, options, progress));
    }
  }
  progress.finish();
  return w;
}

Status Weights::bind_mapped(Group& group, ggml_backend_dev_t dev, Progress& progress) {
  const uint8_t* data = file_->bytes().data() + file_->data_offset();
  uint64_t first = UINT64_MAX;
  uint64_t last = 0;
  size_t max_tensor = 0;
  for (const auto* t : group.infos) {
    first = std::min(first, t->offset);
    last = std::max(last, t->offset + t->size);
    max_tensor = std::max<size_t>(max_tensor, t->size);
  }
  // The view spans the group's tensors; bytes of tensors in other groups that
  // lie between them are inside it too, and counted as mapped.
  const size_t alignment = ggml_backend_buft_get_alignment(ggml_backend_dev_buffer_type(dev));
  const uint8_t* base = align_down(data + first, alignment);
  const size_t size = static_cast<size_t>(data + last - base);
  // The buffer is read-only in practice: ggml never writes to weights.
  ggml_backend_buffer_t buf =
      ggml_backend_dev_buffer_from_host_ptr(dev, const_cast<uint8_t*>(base), size, max_tensor);
  if (buf == nullptr) {
    return make_error(Errc::kInternal,
                      fmt::format("cannot map {} of weights from {} on {}", human_bytes(size),
                                  file_->path(), device_name(dev)));
  }
  ggml_backend_buffer_set_usage(buf, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
  uint64_t own_bytes = 0;
  for (const auto* t : group.infos) own_bytes += t->size;
  buffers_.push_back(WeightBuffer{.buffer = ggml_backend_buffer_ptr(buf),
                                  .device = device_name(dev),
                                  .mapped = true,
                                  .n_tensors = group.tensors.size(),
                                  .bytes = own_bytes});
  for (size_t i = 0; i < group.tensors.size(); ++i) {
    void* addr = const_cast<uint8_t*>(data + group.infos[i]->offset);
    if (ggml_backend_tensor_alloc(buf, group.tensors[i], addr) != GGML_STATUS_SUCCESS) {
      return make_error(Errc::kInternal,
                        fmt::format("cannot bind tensor '{}' of {} on {}", group.infos[i]->name,
                                    file_->path(), device_name(dev)));
    }
    progress.advance(group.infos[i]->size);
  }
  return {};
}

Status Weights::copy_into(Group& group, ggml_backend_dev_t dev, const WeightsOptions& options,
                          Progress& progress) {
  ggml_backend_buffer_type_t buft = group.buft;
  ggml_backend_buffer_t buf = ggml_backend_alloc_ctx_tensors_from_buft(group.ctx, buft);
  if (buf == nullptr) {
    const size_t need = ggml_backend_alloc_ctx_tensors_from_buft_size(group.ctx, buft);
    return make_error(
        Errc::kOutOfMemory,
        fmt::format("cannot allocate {} for weights on {} ({} buffer)", human_bytes(need),
                    device_name(dev), ggml_backend_buft_name(buft)));
  }
  ggml_backend_buffer_set_usage(buf, GGML_BACKEND_BUFFER_USAGE_WEIGHTS);
  buffers_.push_back(WeightBuffer{.buffer = ggml_backend_buffer_ptr(buf),
                                  .device = device_name(dev),
                                  .mapped = false,
                                  .n_tensors = group.tensors.size(),
                                  .bytes = ggml_backend_buffer_get_size(buf)});
  for (size_t i = 0; i < group.tensors.size(); ++i) {
    const auto bytes = file_->tensor_data(*group.infos[i]);
    if (group.packed) {  // a host buffer: the packer writes the tensor's data in place
      options.packer.pack(*group.infos[i], bytes, group.tensors[i]);
    } else {
      ggml_backend_tensor_set(group.tensors[i], bytes.data(), 0, bytes.size());
    }
    file_->drop_resident(*group.infos[i]);  // never read from the file again
    progress.advance(bytes.size());
  }
  return {};
}

ggml_tensor* Weights::get(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

Result<ggml_tensor*> Weights::require(std::string_view name) const {
  if (ggml_tensor* t = get(name)) return t;
  return make_error(Errc::kNotFound, fmt::format("missing tensor '{}' in {}", name, file_->path()));
}

uint64_t Weights::total_bytes() const {
  uint64_t sum = 0;
  for (const auto& b : buffers_) sum += b.bytes;
  return sum;
}

void Weights::account(MemoryReport& report) const {
  for (const auto& b : buffers_) {
    report.add(b.device, b.mapped ? MemoryKind::kWeightsMapped : MemoryKind::kWeights, b.bytes);
  }
}

}  // namespace cria::backend
