#include "engine/kv/kv_cache.h"

#include <algorithm>
#include <cassert>
#include <iterator>

#include <fmt/format.h>

#include "backend/device.h"

namespace cria {

namespace {

int64_t n_embd_k(const KvCacheOptions& o) {
  return int64_t{o.head_dim_k} * o.n_head_kv;
}
int64_t n_embd_v(const KvCacheOptions& o) {
  return int64_t{o.head_dim_v} * o.n_head_kv;
}

Status check_options(const KvCacheOptions& o) {
  if (o.n_ctx <= 0 || o.n_seq <= 0 || o.n_layer <= 0 || o.n_head_kv <= 0 || o.head_dim_k <= 0 ||
      o.head_dim_v <= 0 || o.n_pad <= 0) {
    return make_error(Errc::kInvalidArgument, "KV cache: every size must be positive");
  }
  if (o.n_stream != 1 && (o.n_stream != o.n_seq || o.n_ctx % o.n_stream != 0)) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("KV cache: {} streams need one per sequence ({}) and a cell "
                                  "count ({}) that they divide",
                                  o.n_stream, o.n_seq, o.n_ctx));
  }
  if (o.n_swa < 0 || (o.n_swa > 0 && std::ssize(o.swa_layers) != o.n_layer)) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("KV cache: a sliding window of {} needs one SWA flag per layer "
                                  "({}), not {}",
                                  o.n_swa, o.n_layer, o.swa_layers.size()));
  }
  const bool quantized = ggml_is_quantized(o.type_k) || ggml_is_quantized(o.type_v);
  if (quantized && !o.flash) {
    return make_error(Errc::kUnsupported,
                      fmt::format("a {}/{} KV cache needs flash attention",
                                  ggml_type_name(o.type_k), ggml_type_name(o.type_v)));
  }
  for (ggml_type t : {o.type_k, o.type_v}) {
    const int64_t dim = t == o.type_k ? o.head_dim_k : o.head_dim_v;
    if (dim % ggml_blck_size(t) != 0) {
      return make_error(Errc::kUnsupported, fmt::format("a {} KV cache needs a head size that is "
                                                        "a multiple of {}, not {}",
                                                        ggml_type_name(t), ggml_blck_size(t), dim));
    }
  }
  return {};
}

}  // namespace

Result<KvCache> KvCache::create(const KvCacheOptions& options) {
  CRIA_RETURN_IF_ERROR(check_options(options));
  KvCache kv(options);
  ggml_init_params params{};
  params.mem_size = ggml_tensor_overhead() * 2 * static_cast<size_t>(options.n_layer);
  params.no_alloc = true;
  kv.ctx_.reset(ggml_init(params));
  for (int il = 0; il < options.n_layer; ++il) {
    ggml_tensor* k =
        ggml_new_tensor_2d(kv.ctx_.get(), options.type_k, n_embd_k(options), options.n_ctx);
    ggml_tensor* v =
        ggml_new_tensor_2d(kv.ctx_.get(), options.type_v, n_embd_v(options), options.n_ctx);
    ggml_format_name(k, "cache_k_l%d", il);
    ggml_format_name(v, "cache_v_l%d", il);
    kv.k_.push_back(k);
    kv.v_.push_back(v);
  }
  ggml_backend_dev_t dev = options.device ? options.device : backend::cpu_device();
  kv.buffer_.reset(
      ggml_backend_alloc_ctx_tensors_from_buft(kv.ctx_.get(), ggml_backend_dev_buffer_type(dev)));
  if (kv.buffer_ == nullptr) {
    return make_error(Errc::kOutOfMemory,
                      fmt::format("cannot allocate the KV cache ({} cells) on {}; use a smaller "
                                  "context",
                                  options.n_ctx, backend::device_name(dev)));
  }
  kv.clear();
  return kv;
}

void KvCache::reset_cells() {
  cells_.clear();
  for (int32_t s = 0; s < opt_.n_stream; ++s) {
    cells_.emplace_back(
        KvCellsOptions{.n_cells = opt_.n_ctx / opt_.n_stream, .max_seqs = opt_.n_seq});
  }
}

bool KvCache::has_shift() const {
  return std::any_of(cells_.begin(), cells_.end(), [](const KvCells& c) { return c.has_shift(); });
}

void KvCache::clear_shifts() {
  for (KvCells& c : cells_) c.clear_shifts();
}

void KvCache::clear() {
  reset_cells();
  // Masked cells still enter kq @ V (times 0): they must hold numbers, not NaN.
  ggml_backend_buffer_clear(buffer_.get(), 0);
}

uint64_t KvCache::size_bytes() const {
  return ggml_backend_buffer_get_size(buffer_.get());
}

void KvCache::account(backend::MemoryReport& report) const {
  report.add_kv_buffer(buffer_.get());
}

KvBatch KvCache::inputs(backend::Graph& graph, int32_t n_tokens,
                        const std::vector<KvRun>& runs) const {
  KvBatch b;
  b.cache_ = this;
  b.n_tokens_ = n_tokens;
  b.runs_ = runs;
  b.k_idxs_ = graph.input("kv_k_idxs", GGML_TYPE_I64, {n_tokens});
  const int64_t n_v = opt_.flash ? n_tokens : n_tokens * n_embd_v(opt_);
  b.v_idxs_ = graph.input("kv_v_idxs", GGML_TYPE_I64, {n_v});
  const ggml_type mask_type = opt_.flash ? GGML_TYPE_F16 : GGML_TYPE_F32;
  for (const KvRun& r : runs) {
    b.runs_mask_.push_back(graph.input("kq_mask", mask_type, {r.n_kv, r.per, 1, r.ns}));
    if (opt_.n_swa > 0) {
      b.runs_mask_swa_.push_back(graph.input("kq_mask_swa", mask_type, {r.n_kv, r.per, 1, r.ns}));
    }
  }
  return b;
}

KvBatch KvCache::worst_case(backend::Graph& graph, int32_t n_tokens) const {
  return inputs(graph, n_tokens, {KvRun{.per = n_tokens, .n_kv = stream_size()}});
}

Result<KvBatch> KvCache::begin(backend::Graph& graph, std::span<const int32_t> positions,
                               std::span<const int32_t> seqs) {
  CRIA_RETURN_IF_ERROR(take(positions, seqs));
  return build(graph, positions, seqs);
}

Status KvCache::plan_runs(std::span<const int32_t> seqs) {
  taken_runs_.clear();
  const auto n = static_cast<int32_t>(seqs.size());
  for (int32_t i = 0; i < n;) {
    const int32_t stream = stream_of(seqs[static_cast<size_t>(i)]);
    int32_t end = i;
    while (end < n && stream_of(seqs[static_cast<size_t>(end)]) == stream) ++end;
    const int32_t count = end - i;
    if (!taken_runs_.empty()) {
      KvRun& last = taken_runs_.back();
      if (last.s0 + last.ns > stream) {
        return make_error(Errc::kInvalidArgument,
                          "KV cache: a batch's tokens must be sorted by stream");
      }
      if (last.s0 + last.ns == stream && last.per == count) {
        ++last.ns;
        i = end;
        continue;
      }
    }
    taken_runs_.push_back(KvRun{.s0 = stream, .ns = 1, .per = count, .first = i});
    i = end;
  }
  return {};
}

Status KvCache::check_room(std::span<const int32_t> seqs) {
  room_.assign(cells_.size(), 0);
  for (int32_t seq : seqs) ++room_[static_cast<size_t>(stream_of(seq))];
  for (int32_t s = 0; s < n_stream(); ++s) {
    const int32_t need = room_[static_cast<size_t>(s)];
    const KvCells& c = cells_[static_cast<size_t>(s)];
    if (need <= c.n_free()) continue;
    return make_error(Errc::kOutOfMemory,
                      fmt::format("the context is full: {} tokens do not fit in the {} free of {} "
                                  "cells{}; raise the context length (num_ctx)",
                                  need, c.n_free(), c.n_cells(),
                                  n_stream() > 1 ? fmt::format(" of sequence {}", s) : ""));
  }
  return {};
}

Status KvCache::take(std::span<const int32_t> positions, std::span<const int32_t> seqs) {
  assert(positions.size() == seqs.size() && !positions.empty());
  CRIA_RETURN_IF_ERROR(check_room(seqs));  // nothing is taken unless everything fits
  CRIA_RETURN_IF_ERROR(plan_runs(seqs));
  taken_cells_.clear();
  for (KvRun& r : taken_runs_) {
    r.n_kv = 0;
    for (int32_t k = 0; k < r.ns; ++k) {
      const int32_t stream = r.s0 + k;
      KvCells& c = cells_[static_cast<size_t>(stream)];
      CRIA_ASSIGN_OR_RETURN(KvSlot slot, c.find_slot(r.per));
      const auto at = static_cast<size_t>(r.first + k * r.per);
      const auto per = static_cast<size_t>(r.per);
      c.commit(slot, positions.subspan(at, per), seqs.subspan(at, per));
      for (int32_t cell : slot.cells) taken_cells_.push_back(stream * stream_size() + cell);
      r.n_kv = std::max(r.n_kv, c.n_kv(opt_.n_pad));
    }
  }
  fill_indices(taken_cells_);
  return {};
}

KvBatch KvCache::build(backend::Graph& graph, std::span<const int32_t> positions,
                       std::span<const int32_t> seqs) {
  KvBatch b = inputs(graph, static_cast<int32_t>(positions.size()), taken_runs_);
  fill(graph, b, positions, seqs);
  return b;
}

void KvCache::fill(backend::Graph& graph, const KvBatch& b, std::span<const int32_t> positions,
                   std::span<const int32_t> seqs) {
  assert(b.cache_ == this && b.runs_ == taken_runs_ && std::ssize(positions) == b.n_tokens_);
  assert(std::ssize(k_idxs_) == b.n_tokens_);
  graph.set_input(b.k_idxs_, std::span<const int64_t>(k_idxs_));
  graph.set_input(b.v_idxs_, std::span<const int64_t>(v_idxs_));
  set_masks(graph, b, positions, seqs, 0);
  if (opt_.n_swa > 0) set_masks(graph, b, positions, seqs, opt_.n_swa);
}

void KvCache::fill_indices(std::span<const int32_t> cells) {
  k_idxs_.assign(cells.begin(), cells.end());
  if (opt_.flash) {
    v_idxs_ = k_idxs_;
    return;
  }
  // Transposed V: value j of the token in cell c is element j * n_ctx + c.
  const int64_t n_v = n_embd_v(opt_);
  v_idxs_.resize(cells.size() * static_cast<size_t>(n_v));
  size_t o = 0;
  for (int32_t cell : cells) {
    for (int64_t j = 0; j < n_v; ++j) v_idxs_[o++] = j * opt_.n_ctx + cell;
  }
}

// Writes each run's mask (causal unless the cache is not, with a sliding window when
// n_swa > 0), stream by stream: the rows of a run's k-th stream are its tokens
// [first + k * per, first + (k + 1) * per), the columns that stream's cells.
void KvCache::set_masks(backend::Graph& graph, const KvBatch& b, std::span<const int32_t> positions,
                        std::span<const int32_t> seqs, int32_t n_swa) {
  std::vector<float>& mask = n_swa > 0 ? mask_swa_ : mask_;
  size_t total = 0;
  for (const KvRun& r : b.runs_) total += static_cast<size_t>(r.n_kv) * r.per * r.ns;
  mask.resize(total);
  std::vector<ggml_fp16_t>& mask_f16 = n_swa > 0 ? mask_swa_f16_ : mask_f16_;
  if (opt_.flash) mask_f16.resize(total);
  size_t at = 0;
  for (size_t i = 0; i < b.runs_.size(); ++i) {
    const KvRun& r = b.runs_[i];
    const MaskOptions mo{.causal = opt_.causal, .n_swa = n_swa, .n_kv = r.n_kv};
    const auto per = static_cast<size_t>(r.per);
    const size_t size = per * static_cast<size_t>(r.ns) * static_cast<size_t>(r.n_kv);
    for (int32_t k = 0; k < r.ns; ++k) {
      const size_t tok = static_cast<size_t>(r.first) + static_cast<size_t>(k) * per;
      const size_t rows = at + static_cast<size_t>(k) * per * static_cast<size_t>(r.n_kv);
      cells_[static_cast<size_t>(r.s0 + k)].build_mask(
          positions.subspan(tok, per), seqs.subspan(tok, per), mo,
          std::span<float>(mask).subspan(rows, per * static_cast<size_t>(r.n_kv)));
    }
    ggml_tensor* t = n_swa > 0 ? b.runs_mask_swa_[i] : b.runs_mask_[i];
    if (opt_.flash) {
      ggml_fp32_to_fp16_row(mask.data() + at, mask_f16.data() + at, static_cast<int64_t>(size));
      graph.set_input(t, std::span<const ggml_fp16_t>(mask_f16).subspan(at, size));
    } else {
      graph.set_input(t, std::span<const float>(mask).subspan(at, size));
    }
    at += size;
  }
}

bool KvBatch::flash() const {
  return cache_->opt_.flash;
}

ggml_tensor* KvBatch::mask(int il, size_t run) const {
  const KvCacheOptions& o = cache_->opt_;
  const bool swa = o.n_swa > 0 && o.swa_layers[static_cast<size_t>(il)] != 0;
  return swa ? runs_mask_swa_[run] : runs_mask_[run];
}

void KvBatch::store(backend::Graph& graph, int il, ggml_tensor* k_cur, ggml_tensor* v_cur) const {
  ggml_context* ctx = graph.ctx();
  const KvCacheOptions& o = cache_->opt_;
  ggml_tensor* k = cache_->k_[static_cast<size_t>(il)];
  ggml_tensor* v = cache_->v_[static_cast<size_t>(il)];
  // [n_embd_k, n_tokens]: heads side by side, one row per token.
  ggml_tensor* k_rows = ggml_view_2d(ctx, k_cur, n_embd_k(o), n_tokens_, k_cur->nb[2], 0);
  graph.expand(ggml_set_rows(ctx, k, k_rows, k_idxs_));
  if (!v_transposed()) {
    ggml_tensor* v_rows = ggml_view_2d(ctx, v_cur, n_embd_v(o), n_tokens_, v_cur->nb[2], 0);
    graph.expand(ggml_set_rows(ctx, v, v_rows, v_idxs_));
    return;
  }
  // Transposed: every value is its own one-element row.
  if (!ggml_is_contiguous(v_cur)) v_cur = ggml_cont(ctx, v_cur);
  ggml_tensor* v_elems = ggml_reshape_2d(ctx, v_cur, 1, ggml_nelements(v_cur));
  ggml_tensor* v_cells = ggml_reshape_2d(ctx, v, 1, ggml_nelements(v));
  graph.expand(ggml_set_rows(ctx, v_cells, v_elems, v_idxs_));
}

ggml_tensor* KvBatch::keys(ggml_context* ctx, int il, size_t run) const {
  const KvCacheOptions& o = cache_->opt_;
  const KvRun& r = runs_[run];
  ggml_tensor* k = cache_->k_[static_cast<size_t>(il)];
  const size_t stream = ggml_row_size(k->type, n_embd_k(o)) * cache_->stream_size();
  return ggml_view_4d(ctx, k, o.head_dim_k, o.n_head_kv, r.n_kv, r.ns,
                      ggml_row_size(k->type, o.head_dim_k), ggml_row_size(k->type, n_embd_k(o)),
                      stream, stream * static_cast<size_t>(r.s0));
}

ggml_tensor* KvBatch::values(ggml_context* ctx, int il, size_t run) const {
  const KvCacheOptions& o = cache_->opt_;
  const KvRun& r = runs_[run];
  ggml_tensor* v = cache_->v_[static_cast<size_t>(il)];
  if (!v_transposed()) {
    const size_t stream = ggml_row_size(v->type, n_embd_v(o)) * cache_->stream_size();
    return ggml_view_4d(ctx, v, o.head_dim_v, o.n_head_kv, r.n_kv, r.ns,
                        ggml_row_size(v->type, o.head_dim_v), ggml_row_size(v->type, n_embd_v(o)),
                        stream, stream * static_cast<size_t>(r.s0));
  }
  // Each of the n_embd_v runs of n_ctx cells holds the streams one after another.
  const int64_t n_ctx = o.n_ctx;
  const size_t stream = ggml_row_size(v->type, cache_->stream_size());
  return ggml_view_4d(ctx, v, r.n_kv, o.n_head_kv, o.head_dim_v, r.ns,
                      ggml_row_size(v->type, n_ctx * o.head_dim_v), ggml_row_size(v->type, n_ctx),
                      stream, stream * static_cast<size_t>(r.s0));
}

}  // namespace cria
