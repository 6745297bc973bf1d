// KvCache: the ggml half of the KV cache. Per layer one K and one V tensor of n_ctx cells
// in a backend buffer; KvCells (plain C++) decides which cell holds what.
//
// Split by caller: the runner calls KvCache (begin a batch, the RoPE shift, memory), the
// model's graph calls KvBatch (store this batch's K/V, read the cells, the masks) and, for a
// shift, KvShift.
//
// Layout: K is [n_embd_k, n_ctx] (one row per cell). V is the same when `flash`, else
// transposed, as llama.cpp keeps it for the plain attention path: for each of the n_embd_v
// values of a cell, a run of n_ctx cells, so that kq @ V reads rows.
//
// Streams: with n_stream == n_seq, sequence s owns the cells [s*S, (s+1)*S), S = n_ctx /
// n_seq, with its own KvCells. A token then attends only its own sequence's cells, not every
// cell of the cache behind a mask: with 8 sequences decoding together, attention reads an
// eighth of the cells. A batch's tokens (KvCache::take) are sorted by stream and fall into
// runs (KvRun) of consecutive streams s0..s0+ns-1 with as many tokens each; per run the
// graph sees K/V as [.., n_kv, ns] and the mask as [n_kv, per, 1, ns]. Sharing a prefix
// across streams copies its cells (copy_prefix). With one stream (unified), every sequence
// may use every cell and shares cells with copy_prefix instead.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include <ggml-cpp.h>

#include "backend/graph.h"
#include "backend/memory.h"
#include "base/result.h"
#include "engine/kv/kv_cells.h"

namespace cria {

struct KvCacheOptions {
  int32_t n_ctx = 0;  // cells
  int32_t n_seq = 1;  // sequence ids 0..n_seq-1
  // 1: unified, any sequence in any cell. n_seq: a stream of n_ctx / n_seq cells per
  // sequence (see above); n_ctx must then be a multiple of n_seq.
  int32_t n_stream = 1;
  int32_t n_layer = 0;
  int32_t n_head_kv = 0;
  int32_t head_dim_k = 0;
  int32_t head_dim_v = 0;
  // F16 (llama.cpp's and Ollama's default); Q8_0 / Q4_0 need `flash`.
  ggml_type type_k = GGML_TYPE_F16;
  ggml_type type_v = GGML_TYPE_F16;
  // Attention through ggml_flash_attn_ext: V untransposed, F16 mask.
  bool flash = false;
  // The attended cell count is rounded up to a multiple of this (llama.cpp: 256).
  int32_t n_pad = 256;
  // Where the tensors live; nullptr is the CPU.
  ggml_backend_dev_t device = nullptr;
  // Sliding-window attention: a layer il with swa_layers[il] != 0 attends only the n_swa
  // positions up to and including the token (KvBatch::mask(il) is then the SWA mask). Every
  // layer keeps all its cells; only the mask differs. n_swa 0: no SWA, swa_layers ignored.
  int32_t n_swa = 0;
  std::vector<uint8_t> swa_layers = {};  // n_layer entries when n_swa > 0
  // false: a token attends every cell of its sequence, later positions too (BERT).
  bool causal = true;
};

class KvCache;

// A run of a batch: ns consecutive streams s0.. with `per` tokens each, tokens [first,
// first + ns * per) of the batch, attending cells [0, n_kv) of their streams. A unified
// cache's batch is one run (ns 1).
struct KvRun {
  int32_t s0 = 0;
  int32_t ns = 1;
  int32_t per = 0;
  int32_t n_kv = 0;
  int32_t first = 0;
  bool operator==(const KvRun&) const = default;
};

// The cache as one batch's graph sees it. The batch's tokens are sorted by stream, and
// attention runs once per run (see KvRun): a run's keys, values and mask are 4-D, one
// stream per slice of dimension 3.
class KvBatch {
 public:
  int32_t n_tokens() const { return n_tokens_; }
  const std::vector<KvRun>& runs() const { return runs_; }
  int32_t n_kv(size_t run = 0) const { return runs_[run].n_kv; }
  bool flash() const;
  bool v_transposed() const { return !flash(); }
  // The first run's mask, [n_kv, per, 1, ns], F32 (F16 with flash): 0 where a token may
  // attend a cell, -inf elsewhere.
  ggml_tensor* mask() const { return runs_mask_.front(); }
  // The same with the sliding window applied; nullptr when the cache has no SWA.
  ggml_tensor* mask_swa() const {
    return runs_mask_swa_.empty() ? nullptr : runs_mask_swa_.front();
  }
  // The mask layer il attends with in run r: the sliding-window one for a sliding-window
  // layer, else the full one.
  ggml_tensor* mask(int il, size_t run = 0) const;

  // Adds to `graph` the writes of the batch's keys and values into layer il's cells.
  // k_cur: [head_dim_k, n_head_kv, n_tokens], v_cur: [head_dim_v, n_head_kv, n_tokens].
  void store(backend::Graph& graph, int il, ggml_tensor* k_cur, ggml_tensor* v_cur) const;
  // Layer il's keys in cells [0, n_kv) of run r's streams: [head_dim_k, n_head_kv, n_kv, ns].
  ggml_tensor* keys(ggml_context* ctx, int il, size_t run = 0) const;
  // Layer il's values in cells [0, n_kv) of run r's streams: [n_kv, n_head_kv, head_dim_v, ns]
  // when transposed, else [head_dim_v, n_head_kv, n_kv, ns].
  ggml_tensor* values(ggml_context* ctx, int il, size_t run = 0) const;

 private:
  friend class KvCache;
  const KvCache* cache_ = nullptr;
  int32_t n_tokens_ = 0;
  std::vector<KvRun> runs_;
  std::vector<ggml_tensor*> runs_mask_;      // per run
  std::vector<ggml_tensor*> runs_mask_swa_;  // per run, when the cache has SWA
  ggml_tensor* k_idxs_ = nullptr;            // I64 [n_tokens]: the cell of each token
  ggml_tensor* v_idxs_ = nullptr;            // I64 [n_tokens] or [n_embd_v * n_tokens] (transposed)
};

// The graph that rotates the cached keys of the cells whose positions moved (KvCells::shift)
// by each cell's accumulated delta. The model supplies the rotation (Model::shift_keys):
//
//   KvShift s = kv.shift(graph);
//   for (int il = 0; il < n_layer; ++il) {
//     ggml_tensor* k = s.keys(graph.ctx(), il);
//     ggml_tensor* r = rotate(k, s.deltas());
//     if (r != k) s.store(graph, il, r);
//   }
//   compute(graph); kv.cells().clear_shifts();
class KvShift {
 public:
  int32_t n_kv() const { return n_kv_; }
  // I32 [n_kv]: each cell's delta (0 for the cells that did not move).
  ggml_tensor* deltas() const { return deltas_; }
  // Layer il's keys in cells [0, n_kv): [head_dim_k, n_head_kv, n_kv]. A view of the cache,
  // or a dequantized F32 copy when the cache is quantized.
  ggml_tensor* keys(ggml_context* ctx, int il) const;
  // Adds to `graph` the write of `rotated` (keys(il)'s shape, any float type) into layer
  // il's cells, requantizing when the cache is quantized.
  void store(backend::Graph& graph, int il, ggml_tensor* rotated) const;

 private:
  friend class KvCache;
  ggml_tensor* view(ggml_context* ctx, int il) const;
  const KvCache* cache_ = nullptr;
  int32_t n_kv_ = 0;
  ggml_tensor* deltas_ = nullptr;
};

class KvCache {
 public:
  static Result<KvCache> create(const KvCacheOptions& options);

  KvCache(KvCache&&) noexcept = default;
  KvCache& operator=(KvCache&&) noexcept = default;

  const KvCacheOptions& options() const { return opt_; }
  int32_t n_stream() const { return static_cast<int32_t>(cells_.size()); }
  int32_t stream_of(int32_t seq) const { return n_stream() == 1 ? 0 : seq; }
  // The cells sequence seq lives in (with one stream, all of them). Stream-local indices.
  KvCells& cells(int32_t seq) { return cells_[static_cast<size_t>(stream_of(seq))]; }
  const KvCells& cells(int32_t seq) const { return cells_[static_cast<size_t>(stream_of(seq))]; }
  // Whether any stream has a pending RoPE shift; clear_shifts() forgets them all.
  bool has_shift() const;
  void clear_shifts();
  // kOutOfMemory unless each stream has a free cell for each token of it among `seqs` (a
  // sequence per token).
  Status check_room(std::span<const int32_t> seqs);
  // dst becomes the first n positions of src: shared cells in one stream, a copy of the
  // keys and values across streams. kOutOfMemory when dst's stream lacks the free cells.
  Status copy_prefix(int32_t src, int32_t dst, int32_t n);

  // Takes cells for a batch (token i at positions[i] of sequence seqs[i]), commits them
  // and adds the batch's index and mask inputs, with their data, to `graph`.
  // kOutOfMemory when the free cells are too few. With streams, the batch's tokens must be
  // sorted by stream; each maximal group of consecutive streams with as many tokens each
  // is a run (KvRun).
  Result<KvBatch> begin(backend::Graph& graph, std::span<const int32_t> positions,
                        std::span<const int32_t> seqs);
  // begin() in steps, for a runner that reuses a graph from batch to batch:
  // take() takes and commits the cells and finds the batch's runs (taken_runs); then either
  // build() adds the inputs, with their data, to a new graph, or fill() gives new data to
  // the inputs of a KvBatch built earlier for as many tokens and the same runs (the graph's
  // views depend on them).
  // Nothing is allocated per batch once the host buffers have grown.
  Status take(std::span<const int32_t> positions, std::span<const int32_t> seqs);
  const std::vector<KvRun>& taken_runs() const { return taken_runs_; }
  KvBatch build(backend::Graph& graph, std::span<const int32_t> positions,
                std::span<const int32_t> seqs);
  void fill(backend::Graph& graph, const KvBatch& batch, std::span<const int32_t> positions,
            std::span<const int32_t> seqs);
  // The inputs of the largest batch (n_tokens in one stream, every cell of a stream
  // attended), without data, for Compute::reserve. The cells are not touched.
  KvBatch worst_case(backend::Graph& graph, int32_t n_tokens) const;
  // Starts the RoPE-shift graph in `graph` (see KvShift); call when cells().has_shift(),
  // and cells().clear_shifts() once the graph has run.
  KvShift shift(backend::Graph& graph);

  // Forgets every cell and zeroes the tensors.
  void clear();
  // Adds the K/V buffer to `report` as KV.
  void account(backend::MemoryReport& report) const;
  uint64_t size_bytes() const;

 private:
  friend class KvBatch;
  friend class KvShift;
  explicit KvCache(const KvCacheOptions& options) : opt_(options) { reset_cells(); }
  int32_t stream_size() const { return opt_.n_ctx / n_stream(); }
  void reset_cells();
  KvBatch inputs(backend::Graph& graph, int32_t n_tokens, const std::vector<KvRun>& runs) const;
  // Checks that the tokens are sorted by stream, and finds the runs (taken_runs_).
  Status plan_runs(std::span<const int32_t> seqs);
  void fill_indices(std::span<const int32_t> cells);
  // Copies the keys and values of cells src[i] to cells dst[i] (global indices).
  void copy_cells(std::span<const int32_t> src, std::span<const int32_t> dst);
  void set_masks(backend::Graph& graph, const KvBatch& b, std::span<const int32_t> positions,
                 std::span<const int32_t> seqs, int32_t n_swa);

  KvCacheOptions opt_;
  std::vector<KvCells> cells_;  // per stream
  ggml_context_ptr ctx_;
  ggml_backend_buffer_ptr buffer_;
  std::vector<ggml_tensor*> k_;  // per layer: [n_embd_k, n_ctx]
  std::vector<ggml_tensor*> v_;  // per layer: [n_embd_v, n_ctx] (data transposed unless flash)
  // Host-side input data, reused from batch to batch.
  std::vector<int64_t> k_idxs_;
  std::vector<int64_t> v_idxs_;
  std::vector<float> mask_;
  std::vector<ggml_fp16_t> mask_f16_;
  std::vector<float> mask_swa_;
  std::vector<ggml_fp16_t> mask_swa_f16_;
  std::vector<int32_t> shift_;
  std::vector<int32_t> taken_cells_;  // global cell of each token of the last take()
  std::vector<KvRun> taken_runs_;     // of the last take()
  std::vector<int32_t> room_;         // check_room's count per stream
};

}  // namespace cria
