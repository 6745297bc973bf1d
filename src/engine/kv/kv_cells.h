// KvCells: the bookkeeping half of the KV cache, in plain C++ (no ggml), so it can be
// tested on its own. It knows which cell holds which position of which sequences, which
// cells are free, how far each cell's keys were shifted, and writes attention masks. The
// ggml side (K/V tensors, RoPE shift graph) sits on top and asks it where to write.
//
// Costs: every buffer is sized at construction; find_slot, commit and build_mask do not
// allocate. remove/shift/copy_prefix are O(n_cells).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"

namespace cria {

struct KvCellsOptions {
  int32_t n_cells = 0;   // fixed for the life of the cache
  int32_t max_seqs = 1;  // sequence ids are 0..max_seqs-1 (no limit of 64)
};

// The cells assigned to a batch, ascending. `cells` views a buffer inside KvCells and is
// valid until the next find_slot.
struct KvSlot {
  std::span<const int32_t> cells;
  bool contiguous = true;  // one run [cells.front(), cells.front() + size)
};

struct MaskOptions {
  bool causal = true;  // a token sees cells of its sequence with cell_pos <= token_pos
  int32_t n_swa = 0;   // sliding window, 0 = off; else also token_pos - cell_pos < n_swa
  int32_t n_kv = 0;    // columns of the mask: cells [0, n_kv); see KvCells::n_kv()
};

class KvCells {
 public:
  explicit KvCells(const KvCellsOptions& opt);

  // ---- Allocation (the runner, once per batch) ----
  // n cells for a batch: the lowest contiguous run of n free cells when one exists, else
  // the n lowest free cells. kOutOfMemory when fewer than n cells are free. Does not take
  // the cells; commit does.
  Result<KvSlot> find_slot(int32_t n);
  // Token i goes to cell slot.cells[i] at positions[i], used by the sequences seq_ids[i].
  void commit(const KvSlot& slot, std::span<const int32_t> positions,
              std::span<const std::span<const int32_t>> seq_ids);
  // Same, with one sequence per token.
  void commit(const KvSlot& slot, std::span<const int32_t> positions,
              std::span<const int32_t> seq_per_token);

  // ---- Sequence edits (the runner: cancel, context shift, prefix cache) ----
  // Drops positions [p0, p1) of seq (p1 < 0: to the end). Cells no sequence uses any more
  // return to the free list.
  void remove(int32_t seq, int32_t p0, int32_t p1);
  // Adds delta to the positions in [p0, p1) of seq (p1 < 0: to the end) and records it per
  // cell for the RoPE shift of the keys. A cell is shared, so its position moves for every
  // sequence holding it. A cell whose position would become negative is freed.
  // Context shift = remove(seq, keep, keep + n_discard) then shift(seq, keep + n_discard,
  // -1, -n_discard).
  void shift(int32_t seq, int32_t p0, int32_t p1, int32_t delta);
  // dst becomes the first n positions of src: dst's cells are dropped, then dst joins the
  // sequence set of every cell holding src at a position in [0, n). Nothing is copied.
  void copy_prefix(int32_t src, int32_t dst, int32_t n);

  // ---- Pending RoPE shifts (the ggml side, before the next forward pass) ----
  bool has_shift() const { return has_shift_; }
  int32_t shift_of(int32_t cell) const { return shift_[static_cast<size_t>(cell)]; }
  void clear_shifts();

  // ---- Masks (the model's attention) ----
  // Writes a rows x opt.n_kv mask, rows = out.size() / opt.n_kv >= batch_pos.size(), row
  // major: 0 where token i may attend cell j, -INFINITY elsewhere. Padding rows are all
  // -INFINITY. Token i (position batch_pos[i], sequence batch_seq[i]) sees cell j when j
  // holds batch_seq[i] and, if causal, pos(j) <= batch_pos[i], and, if opt.n_swa > 0,
  // batch_pos[i] - pos(j) < n_swa (llama.cpp's LLAMA_SWA_TYPE_STANDARD: a window of n_swa
  // positions including the token itself). Commit the batch first so tokens see themselves.
  // batch_seq holds one sequence per token (for a token shared by several, pass one).
  void build_mask(std::span<const int32_t> batch_pos, std::span<const int32_t> batch_seq,
                  const MaskOptions& opt, std::span<float> out) const;
  // Columns the mask must cover: highest used cell + 1, rounded up to a multiple of pad,
  // at least pad, at most n_cells (llama.cpp pads to 256).
  int32_t n_kv(int32_t pad) const;

  // ---- Queries ----
  int32_t n_cells() const { return n_cells_; }
  int32_t max_seqs() const { return max_seqs_; }
  int32_t n_free() const { return static_cast<int32_t>(free_.size()); }
  int32_t n_used() const { return n_cells_ - n_free(); }
  int32_t used_max_p1() const { return used_max_p1_; }
  std::span<const int32_t> free_cells() const { return free_; }                // ascending
  int32_t pos(int32_t cell) const { return pos_[static_cast<size_t>(cell)]; }  // -1: empty
  bool has_seq(int32_t cell, int32_t seq) const;
  int32_t n_seqs(int32_t cell) const { return n_seqs_[static_cast<size_t>(cell)]; }
  int32_t seq_pos_min(int32_t seq) const { return seq_stats_[static_cast<size_t>(seq)].min; }
  int32_t seq_pos_max(int32_t seq) const { return seq_stats_[static_cast<size_t>(seq)].max; }
  int32_t seq_cells(int32_t seq) const { return seq_stats_[static_cast<size_t>(seq)].cells; }

 private:
  struct SeqStats {
    int32_t cells = 0;
    int32_t min = -1;  // -1 when the sequence holds no cell
    int32_t max = -1;
  };

  uint64_t& word(int32_t cell, int32_t seq);
  uint64_t word(int32_t cell, int32_t seq) const;
  void add_seq(int32_t cell, int32_t seq);
  // Returns true when the cell became empty (and was released).
  bool drop_seq(int32_t cell, int32_t seq);
  void release(int32_t cell);
  void take_from_free_list(std::span<const int32_t> cells);
  void return_to_free_list();
  void recompute_stats(int32_t seq);
  void recompute_all_stats();
  void free_cell(int32_t cell);

  int32_t n_cells_ = 0;
  int32_t max_seqs_ = 0;
  // Sequence sets: a dynamic bitset per cell, words_per_cell_ 64-bit words each, in one
  // flat array. Chosen over a small sorted vector per cell: O(1) membership and update,
  // no allocation after construction, and the mask loop reads one word per cell. Cost:
  // n_cells * ceil(max_seqs / 64) * 8 bytes (32 KiB per 1024 cells at 256 sequences).
  int32_t words_per_cell_ = 0;
  std::vector<uint64_t> seq_bits_;
  std::vector<int32_t> n_seqs_;         // per cell: how many sequences use it
  std::vector<int32_t> pos_;            // per cell: position, -1 = empty
  std::vector<int32_t> shift_;          // per cell: accumulated shift not yet applied
  std::vector<int32_t> free_;           // free cells, ascending; capacity n_cells
  std::vector<int32_t> slot_scratch_;   // backs KvSlot::cells
  std::vector<int32_t> freed_scratch_;  // cells released by one edit, ascending
  std::vector<SeqStats> seq_stats_;
  int32_t used_max_p1_ = 0;
  bool has_shift_ = false;
};

}  // namespace cria
