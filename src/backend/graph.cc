#include "backend/graph.h"

#include <atomic>
#include <cassert>
#include <cstring>

namespace cria::backend {

namespace {

uint64_t next_id() {
  static std::atomic<uint64_t> last{0};
  return ++last;
}

}  // namespace

Graph::Graph(const GraphOptions& options) : max_nodes_(options.max_nodes) {
  assert(max_nodes_ > 0);
  ggml_init_params params{};
  params.mem_size =
      ggml_tensor_overhead() * max_nodes_ + ggml_graph_overhead_custom(max_nodes_, /*grads=*/false);
  params.no_alloc = true;
  ctx_.reset(ggml_init(params));
  assert(ctx_ != nullptr);
  graph_ = ggml_new_graph_custom(ctx_.get(), max_nodes_, /*grads=*/false);
  id_ = next_id();
}

void Graph::reset() {
  ggml_reset(ctx_.get());
  graph_ = ggml_new_graph_custom(ctx_.get(), max_nodes_, /*grads=*/false);
  id_ = next_id();
  restage();
}

void Graph::restage() {
  staging_.clear();
  staged_.clear();
}

ggml_tensor* Graph::input(std::string_view name, ggml_type type,
                          std::initializer_list<int64_t> ne) {
  assert(ne.size() >= 1 && ne.size() <= GGML_MAX_DIMS);
  ggml_tensor* t = ggml_new_tensor(ctx_.get(), type, static_cast<int>(ne.size()), ne.begin());
  ggml_format_name(t, "%.*s", static_cast<int>(name.size()), name.data());
  ggml_set_input(t);
  return t;
}

void Graph::set_input(ggml_tensor* input, const void* data, size_t size) {
  assert((input->flags & GGML_TENSOR_FLAG_INPUT) != 0 && "not made by Graph::input");
  assert(size == ggml_nbytes(input));
  const size_t offset = staging_.size();
  staging_.resize(offset + size);
  std::memcpy(staging_.data() + offset, data, size);
  staged_.push_back(Staged{input, offset, size});
}

void Graph::output(ggml_tensor* t) {
  ggml_set_output(t);
  ggml_build_forward_expand(graph_, t);
}

void Graph::expand(ggml_tensor* t) {
  ggml_build_forward_expand(graph_, t);
}

void Graph::upload_inputs() {
  for (const auto& s : staged_) {
    assert(s.tensor->buffer != nullptr && "the graph is not allocated");
    ggml_backend_tensor_set(s.tensor, staging_.data() + s.offset, 0, s.size);
  }
}

void Graph::read(const ggml_tensor* t, void* dst, size_t size) {
  assert(size == ggml_nbytes(t));
  ggml_backend_tensor_get(t, dst, 0, size);
}

std::vector<float> Graph::read_f32(const ggml_tensor* t) {
  assert(t->type == GGML_TYPE_F32);
  std::vector<float> out(static_cast<size_t>(ggml_nelements(t)));
  read(t, out.data(), out.size() * sizeof(float));
  return out;
}

}  // namespace cria::backend
