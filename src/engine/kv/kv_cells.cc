// KvCells: construction, the sorted free list, slot search, commit and statistics.
#include "engine/kv/kv_cells.h"

#include <algorithm>
#include <bit>
#include <cassert>
#include <string>

namespace cria {

KvCells::KvCells(const KvCellsOptions& opt)
    : n_cells_(opt.n_cells),
      max_seqs_(opt.max_seqs),
      words_per_cell_((opt.max_seqs + 63) / 64),
      seq_bits_(static_cast<size_t>(opt.n_cells) * static_cast<size_t>((opt.max_seqs + 63) / 64)),
      n_seqs_(static_cast<size_t>(opt.n_cells), 0),
      pos_(static_cast<size_t>(opt.n_cells), -1),
      shift_(static_cast<size_t>(opt.n_cells), 0),
      seq_stats_(static_cast<size_t>(opt.max_seqs)) {
  assert(opt.n_cells > 0 && opt.max_seqs > 0);
  free_.reserve(static_cast<size_t>(n_cells_));
  for (int32_t i = 0; i < n_cells_; ++i) free_.push_back(i);
  slot_scratch_.reserve(static_cast<size_t>(n_cells_));
  freed_scratch_.reserve(static_cast<size_t>(n_cells_));
}

uint64_t& KvCells::word(int32_t cell, int32_t seq) {
  assert(cell >= 0 && cell < n_cells_ && seq >= 0 && seq < max_seqs_);
  return seq_bits_[static_cast<size_t>(cell) * static_cast<size_t>(words_per_cell_) +
                   static_cast<size_t>(seq / 64)];
}

uint64_t KvCells::word(int32_t cell, int32_t seq) const {
  assert(cell >= 0 && cell < n_cells_ && seq >= 0 && seq < max_seqs_);
  return seq_bits_[static_cast<size_t>(cell) * static_cast<size_t>(words_per_cell_) +
                   static_cast<size_t>(seq / 64)];
}

bool KvCells::has_seq(int32_t cell, int32_t seq) const {
  return (word(cell, seq) >> (seq % 64)) & 1u;
}

Result<KvSlot> KvCells::find_slot(int32_t n) {
  assert(n >= 0);
  slot_scratch_.clear();
  if (n == 0) return KvSlot{slot_scratch_, true};
  if (n > n_free()) {
    return make_error(Errc::kOutOfMemory,
                      "KV cache full: a batch of " + std::to_string(n) + " tokens needs " +
                          std::to_string(n) + " cells but only " + std::to_string(n_free()) +
                          " of " + std::to_string(n_cells_) +
                          " are free; raise the context length (num_ctx) or use fewer "
                          "parallel sequences");
  }
  // The free list is sorted and unique, so free_[i..i+n) is a run of consecutive cells
  // exactly when its last entry is its first plus n - 1.
  const size_t un = static_cast<size_t>(n);
  for (size_t i = 0; i + un <= free_.size(); ++i) {
    if (free_[i + un - 1] - free_[i] == n - 1) {
      slot_scratch_.assign(free_.begin() + static_cast<std::ptrdiff_t>(i),
                           free_.begin() + static_cast<std::ptrdiff_t>(i + un));
      return KvSlot{slot_scratch_, true};
    }
  }
  slot_scratch_.assign(free_.begin(), free_.begin() + static_cast<std::ptrdiff_t>(un));
  return KvSlot{slot_scratch_, false};
}

// Removes the ascending `cells` from the free list in one merge pass.
void KvCells::take_from_free_list(std::span<const int32_t> cells) {
  size_t out = 0;
  size_t k = 0;
  for (size_t i = 0; i < free_.size(); ++i) {
    if (k < cells.size() && free_[i] == cells[k]) {
      ++k;
      continue;
    }
    free_[out++] = free_[i];
  }
  assert(k == cells.size() && "commit: a cell of the slot is not free");
  free_.resize(out);
}

// Merges freed_scratch_ (ascending) into the free list from the back; no allocation
// since free_ has capacity n_cells.
void KvCells::return_to_free_list() {
  if (freed_scratch_.empty()) return;
  size_t a = free_.size();
  size_t b = freed_scratch_.size();
  free_.resize(a + b);
  size_t w = a + b;
  while (b > 0) {
    if (a > 0 && free_[a - 1] > freed_scratch_[b - 1]) {
      free_[--w] = free_[--a];
    } else {
      free_[--w] = freed_scratch_[--b];
    }
  }
  freed_scratch_.clear();
}

void KvCells::add_seq(int32_t cell, int32_t seq) {
  uint64_t& w = word(cell, seq);
  const uint64_t bit = uint64_t{1} << (seq % 64);
  if (w & bit) return;
  w |= bit;
  n_seqs_[static_cast<size_t>(cell)]++;
  SeqStats& s = seq_stats_[static_cast<size_t>(seq)];
  const int32_t p = pos_[static_cast<size_t>(cell)];
  s.min = s.cells == 0 ? p : std::min(s.min, p);
  s.max = s.cells == 0 ? p : std::max(s.max, p);
  s.cells++;
}

bool KvCells::drop_seq(int32_t cell, int32_t seq) {
  uint64_t& w = word(cell, seq);
  const uint64_t bit = uint64_t{1} << (seq % 64);
  if (!(w & bit)) return false;
  w &= ~bit;
  seq_stats_[static_cast<size_t>(seq)].cells--;
  if (--n_seqs_[static_cast<size_t>(cell)] > 0) return false;
  release(cell);
  return true;
}

// Marks an unused cell empty and queues it for return_to_free_list.
void KvCells::release(int32_t cell) {
  const auto c = static_cast<size_t>(cell);
  assert(n_seqs_[c] == 0);
  pos_[c] = -1;
  shift_[c] = 0;
  freed_scratch_.push_back(cell);
  while (used_max_p1_ > 0 && pos_[static_cast<size_t>(used_max_p1_ - 1)] < 0) --used_max_p1_;
}

void KvCells::commit(const KvSlot& slot, std::span<const int32_t> positions,
                     std::span<const std::span<const int32_t>> seq_ids) {
  assert(positions.size() == slot.cells.size() && seq_ids.size() == slot.cells.size());
  assert(std::is_sorted(slot.cells.begin(), slot.cells.end()));
  take_from_free_list(slot.cells);
  for (size_t i = 0; i < slot.cells.size(); ++i) {
    const int32_t cell = slot.cells[i];
    assert(positions[i] >= 0 && !seq_ids[i].empty());
    pos_[static_cast<size_t>(cell)] = positions[i];
    for (int32_t seq : seq_ids[i]) add_seq(cell, seq);
    used_max_p1_ = std::max(used_max_p1_, cell + 1);
  }
}

void KvCells::commit(const KvSlot& slot, std::span<const int32_t> positions,
                     std::span<const int32_t> seq_per_token) {
  assert(positions.size() == slot.cells.size() && seq_per_token.size() == slot.cells.size());
  assert(std::is_sorted(slot.cells.begin(), slot.cells.end()));
  take_from_free_list(slot.cells);
  for (size_t i = 0; i < slot.cells.size(); ++i) {
    const int32_t cell = slot.cells[i];
    assert(positions[i] >= 0);
    pos_[static_cast<size_t>(cell)] = positions[i];
    add_seq(cell, seq_per_token[i]);
    used_max_p1_ = std::max(used_max_p1_, cell + 1);
  }
}

void KvCells::recompute_stats(int32_t seq) {
  SeqStats s;
  for (int32_t c = 0; c < used_max_p1_; ++c) {
    if (pos_[static_cast<size_t>(c)] < 0 || !has_seq(c, seq)) continue;
    const int32_t p = pos_[static_cast<size_t>(c)];
    s.min = s.cells == 0 ? p : std::min(s.min, p);
    s.max = s.cells == 0 ? p : std::max(s.max, p);
    s.cells++;
  }
  seq_stats_[static_cast<size_t>(seq)] = s;
}

// One pass over the cells, visiting each set bit of each cell's sequence set.
void KvCells::recompute_all_stats() {
  std::fill(seq_stats_.begin(), seq_stats_.end(), SeqStats{});
  for (int32_t c = 0; c < used_max_p1_; ++c) {
    const int32_t p = pos_[static_cast<size_t>(c)];
    if (p < 0) continue;
    for (int32_t w = 0; w < words_per_cell_; ++w) {
      uint64_t bits = seq_bits_[static_cast<size_t>(c) * static_cast<size_t>(words_per_cell_) +
                                static_cast<size_t>(w)];
      while (bits != 0) {
        const int32_t seq = w * 64 + std::countr_zero(bits);
        bits &= bits - 1;
        SeqStats& s = seq_stats_[static_cast<size_t>(seq)];
        s.min = s.cells == 0 ? p : std::min(s.min, p);
        s.max = s.cells == 0 ? p : std::max(s.max, p);
        s.cells++;
      }
    }
  }
}

int32_t KvCells::n_kv(int32_t pad) const {
  assert(pad >= 1);
  const int32_t padded = (used_max_p1_ + pad - 1) / pad * pad;
  return std::min(n_cells_, std::max(pad, padded));
}

}  // namespace cria
