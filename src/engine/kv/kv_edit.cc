// KvCells: sequence edits (remove, shift, copy_prefix) and the attention mask.
#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

#include "engine/kv/kv_cells.h"

namespace cria {
namespace {

bool in_range(int32_t p, int32_t p0, int32_t p1) {
  return p >= p0 && (p1 < 0 || p < p1);
}

}  // namespace

void KvCells::remove(int32_t seq, int32_t p0, int32_t p1) {
  assert(seq >= 0 && seq < max_seqs_);
  const int32_t end = used_max_p1_;  // release() may lower used_max_p1_ while we scan
  for (int32_t c = 0; c < end; ++c) {
    const int32_t p = pos_[static_cast<size_t>(c)];
    if (p < 0 || !in_range(p, p0, p1)) continue;
    drop_seq(c, seq);
  }
  return_to_free_list();
  recompute_stats(seq);
}

// Drops every sequence from a cell (its position went negative) and releases it.
void KvCells::free_cell(int32_t cell) {
  const size_t base = static_cast<size_t>(cell) * static_cast<size_t>(words_per_cell_);
  std::fill_n(seq_bits_.begin() + static_cast<std::ptrdiff_t>(base), words_per_cell_, 0);
  n_seqs_[static_cast<size_t>(cell)] = 0;
  release(cell);
}

void KvCells::shift(int32_t seq, int32_t p0, int32_t p1, int32_t delta) {
  assert(seq >= 0 && seq < max_seqs_);
  if (delta == 0) return;
  const int32_t end = used_max_p1_;
  for (int32_t c = 0; c < end; ++c) {
    const auto i = static_cast<size_t>(c);
    if (pos_[i] < 0 || !in_range(pos_[i], p0, p1) || !has_seq(c, seq)) continue;
    has_shift_ = true;
    pos_[i] += delta;
    shift_[i] += delta;
    if (pos_[i] < 0) free_cell(c);
  }
  return_to_free_list();
  // The moved cells may be shared, so other sequences' bounds can change too.
  recompute_all_stats();
}

void KvCells::copy_prefix(int32_t src, int32_t dst, int32_t n) {
  assert(src >= 0 && src < max_seqs_ && dst >= 0 && dst < max_seqs_);
  if (src == dst) return;
  remove(dst, 0, -1);
  for (int32_t c = 0; c < used_max_p1_; ++c) {
    const int32_t p = pos_[static_cast<size_t>(c)];
    if (p >= 0 && p < n && has_seq(c, src)) add_seq(c, dst);
  }
}

void KvCells::clear_shifts() {
  std::fill(shift_.begin(), shift_.end(), 0);
  has_shift_ = false;
}

void KvCells::build_mask(std::span<const int32_t> batch_pos, std::span<const int32_t> batch_seq,
                         const MaskOptions& opt, std::span<float> out) const {
  const size_t n_tokens = batch_pos.size();
  const auto n_kv = static_cast<size_t>(opt.n_kv);
  assert(batch_seq.size() == n_tokens);
  assert(opt.n_kv > 0 && opt.n_kv <= n_cells_ && out.size() % n_kv == 0);
  assert(out.size() / n_kv >= n_tokens);
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (size_t t = 0; t < n_tokens; ++t) {
    const int32_t seq = batch_seq[t];
    const int32_t tp = batch_pos[t];
    assert(seq >= 0 && seq < max_seqs_);
    const size_t word_off = static_cast<size_t>(seq / 64);
    const uint64_t bit = uint64_t{1} << (seq % 64);
    float* row = out.data() + t * n_kv;
    for (size_t c = 0; c < n_kv; ++c) {
      const int32_t cp = pos_[c];
      bool visible =
          cp >= 0 && (seq_bits_[c * static_cast<size_t>(words_per_cell_) + word_off] & bit);
      if (opt.causal) visible = visible && cp <= tp;
      if (opt.n_swa > 0) visible = visible && tp - cp < opt.n_swa;
      row[c] = visible ? 0.0f : -kInf;
    }
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(n_tokens * n_kv), out.end(), -kInf);
}

}  // namespace cria
