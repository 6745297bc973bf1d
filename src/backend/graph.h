// Building one compute graph at a time in a reused metadata buffer.
//
//   Graph g({.max_nodes = 2048});
//   for (each batch) {
//     g.reset();                                   // no allocation after the first time
//     ggml_tensor* x = g.input("x", GGML_TYPE_F32, {n_embd, n_tokens});
//     g.output(ggml_mul_mat(g.ctx(), w, x));
//     g.set_input(x, std::span<const float>(data));  // staged; uploaded after allocation
//     compute.compute(g);
//   }
//
// A graph whose shapes fit the next batch too can run again without being rebuilt or
// reallocated: restage() its inputs, set_input() each of them anew, Compute::recompute(g).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <vector>

#include <ggml-cpp.h>

namespace cria::backend {

// A graph of this many nodes (and as many leafs) fits; llama.cpp's rule of thumb
// is max(1024, 8 × the model's tensor count).
inline constexpr size_t kDefaultMaxNodes = 8192;

struct GraphOptions {
  size_t max_nodes = kDefaultMaxNodes;
};

class Graph {
 public:
  explicit Graph(const GraphOptions& options = {});
  Graph(Graph&&) noexcept = default;
  Graph& operator=(Graph&&) noexcept = default;

  // Forgets the previous graph (its tensors dangle from here on) and starts an
  // empty one in the same metadata buffer.
  void reset();
  // Drops the staged input data but keeps the graph, to give its inputs new data.
  void restage();
  // Names the graph built since the last reset(): unique among all graphs of the process.
  uint64_t id() const { return id_; }

  ggml_context* ctx() const { return ctx_.get(); }
  ggml_cgraph* cgraph() const { return graph_; }
  size_t max_nodes() const { return max_nodes_; }

  // A tensor whose data comes from the caller: shape `ne` in ggml order (ne0 first).
  ggml_tensor* input(std::string_view name, ggml_type type, std::initializer_list<int64_t> ne);
  // Gives `input` its data: exactly ggml_nbytes(input) bytes, copied now into a
  // reused staging area and into the tensor once the graph is allocated.
  void set_input(ggml_tensor* input, const void* data, size_t size);
  template <class T>
  void set_input(ggml_tensor* input, std::span<const T> data) {
    set_input(input, data.data(), data.size_bytes());
  }

  // Adds `t` and everything it depends on to the graph, and keeps its data
  // readable after compute.
  void output(ggml_tensor* t);
  // Adds `t` and everything it depends on to the graph.
  void expand(ggml_tensor* t);

  // Copies the staged input data into the allocated input tensors (Compute calls it).
  void upload_inputs();

  // Reads a computed tensor: exactly ggml_nbytes(t) bytes.
  static void read(const ggml_tensor* t, void* dst, size_t size);
  static std::vector<float> read_f32(const ggml_tensor* t);

 private:
  struct Staged {
    ggml_tensor* tensor;
    size_t offset;  // into staging_
    size_t size;
  };

  size_t max_nodes_;
  ggml_context_ptr ctx_;  // its metadata buffer is allocated once and reused
  ggml_cgraph* graph_ = nullptr;
  uint64_t id_ = 0;
  std::vector<uint8_t> staging_;  // input data waiting for allocation; capacity kept
  std::vector<Staged> staged_;
};

}  // namespace cria::backend
