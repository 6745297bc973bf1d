// KvCache::copy_prefix: a sequence takes another's prefix, by sharing its cells in one
// stream or by copying their keys and values into its own stream.
#include <vector>

#include <fmt/format.h>

#include "engine/kv/kv_cache.h"

namespace cria {

Status KvCache::copy_prefix(int32_t src, int32_t dst, int32_t n) {
  if (stream_of(src) == stream_of(dst)) {
    cells(src).copy_prefix(src, dst, n);
    return {};
  }
  const KvCells& from = cells(src);
  KvCells& to = cells(dst);
  to.remove(dst, 0, -1);
  std::vector<int32_t> src_cells, positions;
  for (int32_t c = 0; c < from.used_max_p1(); ++c) {
    const int32_t p = from.pos(c);
    if (p >= 0 && p < n && from.has_seq(c, src)) {
      src_cells.push_back(c);
      positions.push_back(p);
    }
  }
  if (src_cells.empty()) return {};
  const auto count = static_cast<int32_t>(src_cells.size());
  CRIA_ASSIGN_OR_RETURN(KvSlot slot, to.find_slot(count));
  const std::vector<int32_t> seqs(src_cells.size(), dst);
  std::vector<int32_t> dst_cells(slot.cells.begin(), slot.cells.end());
  to.commit(slot, positions, seqs);
  for (int32_t& c : src_cells) c += stream_of(src) * stream_size();
  for (int32_t& c : dst_cells) c += stream_of(dst) * stream_size();
  copy_cells(src_cells, dst_cells);
  return {};
}

namespace {

// Copies `bytes` bytes of tensor t from offset `from` to offset `to`, through `buf`.
void copy_bytes(ggml_tensor* t, size_t from, size_t to, size_t bytes, std::vector<uint8_t>& buf) {
  buf.resize(bytes);
  ggml_backend_tensor_get(t, buf.data(), from, bytes);
  ggml_backend_tensor_set(t, buf.data(), to, bytes);
}

}  // namespace

void KvCache::copy_cells(std::span<const int32_t> src, std::span<const int32_t> dst) {
  std::vector<uint8_t> buf;
  const size_t n = src.size();
  for (size_t i = 0; i < n;) {
    // A run: consecutive cells on both sides.
    size_t len = 1;
    while (i + len < n && src[i + len] == src[i] + static_cast<int32_t>(len) &&
           dst[i + len] == dst[i] + static_cast<int32_t>(len)) {
      ++len;
    }
    const auto s = static_cast<size_t>(src[i]);
    const auto d = static_cast<size_t>(dst[i]);
    for (size_t il = 0; il < k_.size(); ++il) {
      const size_t k_row = k_[il]->nb[1];
      copy_bytes(k_[il], s * k_row, d * k_row, len * k_row, buf);
      ggml_tensor* v = v_[il];
      if (opt_.flash) {
        copy_bytes(v, s * v->nb[1], d * v->nb[1], len * v->nb[1], buf);
        continue;
      }
      // Transposed: value j of cell c is element j * n_ctx + c.
      const size_t elem = ggml_type_size(v->type);
      const auto n_ctx = static_cast<size_t>(opt_.n_ctx);
      for (int64_t j = 0; j < v->ne[0]; ++j) {
        const size_t row = static_cast<size_t>(j) * n_ctx;
        copy_bytes(v, (row + s) * elem, (row + d) * elem, len * elem, buf);
      }
    }
    i += len;
  }
}

}  // namespace cria
