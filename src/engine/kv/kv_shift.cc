// KvShift: the graph that rotates cached keys after KvCells::shift (context shift).
#include <algorithm>
#include <cassert>

#include "engine/kv/kv_cache.h"

namespace cria {

KvShift KvCache::shift(backend::Graph& graph) {
  KvShift s;
  s.cache_ = this;
  // Only cells below used_max_p1 can hold a shift; the padding keeps the graph's shapes few.
  // With streams, every cell (shifts are rare).
  s.n_kv_ = n_stream() == 1 ? cells_[0].n_kv(opt_.n_pad) : opt_.n_ctx;
  shift_.resize(static_cast<size_t>(s.n_kv_));
  const int32_t per = std::min(s.n_kv_, stream_size());
  for (int32_t st = 0; st < n_stream(); ++st) {
    for (int32_t c = 0; c < per; ++c) {
      shift_[static_cast<size_t>(st * per + c)] = cells_[static_cast<size_t>(st)].shift_of(c);
    }
  }
  s.deltas_ = graph.input("kv_k_shift", GGML_TYPE_I32, {s.n_kv_});
  graph.set_input(s.deltas_, std::span<const int32_t>(shift_));
  return s;
}

ggml_tensor* KvShift::view(ggml_context* ctx, int il) const {
  const KvCacheOptions& o = cache_->opt_;
  ggml_tensor* k = cache_->k_[static_cast<size_t>(il)];
  const int64_t n_embd_k = int64_t{o.head_dim_k} * o.n_head_kv;
  return ggml_view_3d(ctx, k, o.head_dim_k, o.n_head_kv, n_kv_,
                      ggml_row_size(k->type, o.head_dim_k), ggml_row_size(k->type, n_embd_k), 0);
}

ggml_tensor* KvShift::keys(ggml_context* ctx, int il) const {
  ggml_tensor* k = view(ctx, il);  // [head_dim_k, n_head_kv, n_kv]
  // RoPE reads F32 and F16 only: a quantized cache is rotated through an F32 copy.
  return ggml_is_quantized(k->type) ? ggml_cast(ctx, k, GGML_TYPE_F32) : k;
}

void KvShift::store(backend::Graph& graph, int il, ggml_tensor* rotated) const {
  ggml_tensor* k = view(graph.ctx(), il);
  assert(ggml_are_same_shape(k, rotated));
  graph.expand(ggml_cpy(graph.ctx(), rotated, k));
}

}  // namespace cria
