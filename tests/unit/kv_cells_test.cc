// KvCells: allocation, sequence edits, shifts and masks, checked directly and against a
// brute-force reference model under thousands of random interleaved operations.
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <new>
#include <random>
#include <set>
#include <vector>

#include <gtest/gtest.h>

#include "engine/kv/kv_cells.h"

// Counts global allocations so steady-state paths can be shown not to allocate. GCC sees
// free() on memory from our operator new once inlined: pairing is correct here.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
namespace {
std::atomic<long> g_news{0};
}  // namespace

void* operator new(std::size_t n) {
  g_news.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
// clang-format off
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// clang-format on

namespace cria {
namespace {

std::vector<int32_t> cells_of(const KvSlot& s) {
  return {s.cells.begin(), s.cells.end()};
}

std::vector<int32_t> iota(int32_t from, int32_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  for (int32_t i = 0; i < n; ++i) v[static_cast<size_t>(i)] = from + i;
  return v;
}

// Allocates and commits n tokens of seq at positions p0.., returning the cells.
std::vector<int32_t> add(KvCells& kv, int32_t seq, int32_t p0, int32_t n) {
  auto slot = kv.find_slot(n);
  EXPECT_TRUE(slot.ok());
  std::vector<int32_t> cells = cells_of(*slot);
  std::vector<int32_t> pos = iota(p0, n);
  std::vector<int32_t> seqs(static_cast<size_t>(n), seq);
  kv.commit(*slot, pos, seqs);
  return cells;
}

TEST(KvCells, ContiguousScatteredAndExhausted) {
  KvCells kv({.n_cells = 16, .max_seqs = 2});
  EXPECT_EQ(add(kv, 0, 0, 4), iota(0, 4));
  EXPECT_EQ(add(kv, 1, 0, 4), iota(4, 4));
  EXPECT_EQ(add(kv, 0, 4, 4), iota(8, 4));
  EXPECT_EQ(kv.n_free(), 4);
  // Free cells 4..7 (seq 1): runs of 4 at 4 and at 12; the lowest wins.
  kv.remove(1, 0, -1);
  auto slot = kv.find_slot(4);
  ASSERT_TRUE(slot.ok());
  EXPECT_TRUE(slot->contiguous);
  EXPECT_EQ(cells_of(*slot), iota(4, 4));
  // Fragment: free 1 and 3 (seq 0 positions 1 and 3); no run of 6 -> scattered, lowest.
  kv.remove(0, 1, 2);
  kv.remove(0, 3, 4);
  slot = kv.find_slot(6);
  ASSERT_TRUE(slot.ok());
  EXPECT_FALSE(slot->contiguous);
  EXPECT_EQ(cells_of(*slot), (std::vector<int32_t>{1, 3, 4, 5, 6, 7}));
  slot = kv.find_slot(11);
  ASSERT_FALSE(slot.ok());
  EXPECT_EQ(slot.error().code, Errc::kOutOfMemory);
  EXPECT_NE(slot.error().message.find("only 10 of 16"), std::string::npos);
  EXPECT_TRUE(kv.find_slot(10).ok());
}

TEST(KvCells, RemoveReturnsCellsSortedSoNextRunIsContiguous) {
  KvCells kv({.n_cells = 8, .max_seqs = 4});
  for (int32_t i = 0; i < 8; ++i) add(kv, i % 4, i / 4, 1);  // seqs interleaved
  EXPECT_EQ(kv.n_free(), 0);
  kv.remove(3, 0, -1);  // cells 3, 7
  kv.remove(2, 0, -1);  // cells 2, 6
  kv.remove(1, 0, -1);  // cells 1, 5
  EXPECT_EQ(std::vector<int32_t>(kv.free_cells().begin(), kv.free_cells().end()),
            (std::vector<int32_t>{1, 2, 3, 5, 6, 7}));
  auto slot = kv.find_slot(3);
  ASSERT_TRUE(slot.ok());
  EXPECT_TRUE(slot->contiguous);
  EXPECT_EQ(cells_of(*slot), iota(1, 3));
  EXPECT_EQ(kv.seq_cells(0), 2);
  EXPECT_EQ(kv.seq_pos_min(0), 0);
  EXPECT_EQ(kv.seq_pos_max(0), 1);
  EXPECT_EQ(kv.seq_pos_max(1), -1);
}

TEST(KvCells, CopyPrefixSharesCells) {
  KvCells kv({.n_cells = 16, .max_seqs = 3});
  std::vector<int32_t> cells = add(kv, 0, 0, 6);
  kv.copy_prefix(0, 1, 4);
  EXPECT_EQ(kv.n_used(), 6);  // nothing copied
  for (int32_t i = 0; i < 6; ++i) EXPECT_EQ(kv.has_seq(cells[size_t(i)], 1), i < 4);
  EXPECT_EQ(kv.seq_cells(1), 4);
  EXPECT_EQ(kv.seq_pos_max(1), 3);
  kv.remove(0, 0, -1);
  EXPECT_EQ(kv.n_used(), 4);  // seq 1 keeps its 4 shared cells
  for (int32_t i = 0; i < 4; ++i) EXPECT_EQ(kv.pos(cells[size_t(i)]), i);
  kv.remove(1, 2, -1);
  EXPECT_EQ(kv.n_used(), 2);
  EXPECT_EQ(kv.seq_cells(0), 0);
}

TEST(KvCells, ContextShiftAccumulates) {
  KvCells kv({.n_cells = 16, .max_seqs = 1});
  add(kv, 0, 0, 10);
  kv.remove(0, 2, 5);      // discard 3 after keeping 2
  kv.shift(0, 5, -1, -3);  // 5..9 -> 2..6
  EXPECT_TRUE(kv.has_shift());
  EXPECT_EQ(kv.seq_pos_max(0), 6);
  EXPECT_EQ(kv.seq_cells(0), 7);
  kv.remove(0, 2, 4);
  kv.shift(0, 4, -1, -2);  // cells 7..9 now at 2..4, shifted -5 in all
  EXPECT_EQ(kv.shift_of(9), -5);
  EXPECT_EQ(kv.pos(9), 4);
  EXPECT_EQ(kv.shift_of(6), 0);  // freed
  EXPECT_EQ(kv.shift_of(0), 0);  // never moved
  kv.clear_shifts();
  EXPECT_FALSE(kv.has_shift());
  EXPECT_EQ(kv.shift_of(9), 0);
  kv.shift(0, 0, 2, -1);  // position 0 goes negative: freed
  EXPECT_EQ(kv.pos(0), -1);
  EXPECT_EQ(kv.seq_pos_min(0), 0);
  EXPECT_EQ(kv.seq_cells(0), 4);
}

TEST(KvCells, NKvPadding) {
  KvCells kv({.n_cells = 1000, .max_seqs = 1});
  EXPECT_EQ(kv.n_kv(256), 256);
  add(kv, 0, 0, 300);
  EXPECT_EQ(kv.n_kv(256), 512);
  EXPECT_EQ(kv.n_kv(1), 300);
  add(kv, 0, 300, 700);
  EXPECT_EQ(kv.n_kv(256), 1000);  // clamped to the cache
  kv.remove(0, 10, -1);
  EXPECT_EQ(kv.used_max_p1(), 10);
}

// ---- Reference model: per-cell position and shift, a std::set of cells per sequence ----
struct Ref {
  std::vector<int32_t> pos, shift;
  std::vector<std::set<int32_t>> seq;
  Ref(int32_t n_cells, int32_t max_seqs)
      : pos(size_t(n_cells), -1), shift(size_t(n_cells), 0), seq(size_t(max_seqs)) {}
  bool used_by_any(int32_t c) const {
    for (const auto& s : seq)
      if (s.count(c)) return true;
    return false;
  }
  void free_if_unused(int32_t c) {
    if (!used_by_any(c)) pos[size_t(c)] = -1, shift[size_t(c)] = 0;
  }
  std::vector<int32_t> free_cells() const {
    std::vector<int32_t> f;
    for (size_t c = 0; c < pos.size(); ++c)
      if (pos[c] < 0) f.push_back(int32_t(c));
    return f;
  }
  std::vector<int32_t> expected_slot(int32_t n) const {
    std::vector<int32_t> f = free_cells();
    for (size_t i = 0; i + size_t(n) <= f.size(); ++i) {
      if (f[i + size_t(n) - 1] - f[i] == n - 1)
        return {f.begin() + long(i), f.begin() + long(i) + n};
    }
    return {f.begin(), f.begin() + n};
  }
  std::vector<int32_t> hits(int32_t s, int32_t p0, int32_t p1) const {
    std::vector<int32_t> hit;
    for (int32_t c : seq[size_t(s)])
      if (pos[size_t(c)] >= p0 && (p1 < 0 || pos[size_t(c)] < p1)) hit.push_back(c);
    return hit;
  }
  void remove(int32_t s, int32_t p0, int32_t p1) {
    for (int32_t c : hits(s, p0, p1)) seq[size_t(s)].erase(c), free_if_unused(c);
  }
  void shift_seq(int32_t s, int32_t p0, int32_t p1, int32_t d) {
    for (int32_t c : hits(s, p0, p1)) {
      pos[size_t(c)] += d, shift[size_t(c)] += d;
      if (pos[size_t(c)] < 0) {
        for (auto& ss : seq) ss.erase(c);
        pos[size_t(c)] = -1, shift[size_t(c)] = 0;
      }
    }
  }
  void copy_prefix(int32_t src, int32_t dst, int32_t n) {
    if (src == dst) return;
    remove(dst, 0, -1);
    for (int32_t c : seq[size_t(src)])
      if (pos[size_t(c)] < n) seq[size_t(dst)].insert(c);
  }
  int32_t next_pos(int32_t s) const {
    int32_t m = -1;
    for (int32_t c : seq[size_t(s)]) m = std::max(m, pos[size_t(c)]);
    return m + 1;
  }
  bool visible(int32_t c, int32_t s, int32_t tp, const MaskOptions& o) const {
    int32_t cp = pos[size_t(c)];
    if (cp < 0 || !seq[size_t(s)].count(c)) return false;
    if (o.causal && cp > tp) return false;
    return o.n_swa <= 0 || tp - cp < o.n_swa;
  }
};

void expect_same(const KvCells& kv, const Ref& ref) {
  const int32_t n = kv.n_cells();
  std::vector<int32_t> f = ref.free_cells();
  ASSERT_EQ(std::vector<int32_t>(kv.free_cells().begin(), kv.free_cells().end()), f);
  for (int32_t c = 0; c < n; ++c) {
    ASSERT_EQ(kv.pos(c), ref.pos[size_t(c)]) << "cell " << c;
    ASSERT_EQ(kv.shift_of(c), ref.shift[size_t(c)]) << "cell " << c;
    int32_t used = 0;
    for (int32_t s = 0; s < kv.max_seqs(); ++s) {
      bool has = ref.seq[size_t(s)].count(c) > 0;
      ASSERT_EQ(kv.has_seq(c, s), has) << "cell " << c << " seq " << s;
      used += has;
    }
    ASSERT_EQ(kv.n_seqs(c), used);
  }
  for (int32_t s = 0; s < kv.max_seqs(); ++s) {
    int32_t mn = -1, mx = -1;
    for (int32_t c : ref.seq[size_t(s)]) {
      int32_t p = ref.pos[size_t(c)];
      mn = mn < 0 ? p : std::min(mn, p);
      mx = std::max(mx, p);
    }
    ASSERT_EQ(kv.seq_cells(s), int32_t(ref.seq[size_t(s)].size())) << "seq " << s;
    ASSERT_EQ(kv.seq_pos_min(s), mn) << "seq " << s;
    ASSERT_EQ(kv.seq_pos_max(s), mx) << "seq " << s;
  }
  int32_t top = 0;
  for (int32_t c = 0; c < n; ++c)
    if (ref.pos[size_t(c)] >= 0) top = c + 1;
  ASSERT_EQ(kv.used_max_p1(), top);
}

void expect_masks_match(const KvCells& kv, const Ref& ref, std::mt19937& rng) {
  std::uniform_int_distribution<int32_t> seq_d(0, kv.max_seqs() - 1), pos_d(0, 40);
  const int32_t n_tok = 1 + int32_t(rng() % 9);
  std::vector<int32_t> bp(static_cast<size_t>(n_tok)), bs(static_cast<size_t>(n_tok));
  for (int32_t i = 0; i < n_tok; ++i) bp[size_t(i)] = pos_d(rng), bs[size_t(i)] = seq_d(rng);
  for (MaskOptions o : {MaskOptions{true, 0, 0}, MaskOptions{false, 0, 0}, MaskOptions{true, 4, 0},
                        MaskOptions{false, 3, 0}}) {
    o.n_kv = kv.n_kv(8);
    const int32_t rows = n_tok + 2;  // two padding rows
    std::vector<float> out(size_t(rows * o.n_kv), 1.0f);
    kv.build_mask(bp, bs, o, out);
    for (int32_t t = 0; t < rows; ++t) {
      for (int32_t c = 0; c < o.n_kv; ++c) {
        bool vis = t < n_tok && ref.visible(c, bs[size_t(t)], bp[size_t(t)], o);
        float v = out[size_t(t * o.n_kv + c)];
        ASSERT_EQ(v, vis ? 0.0f : -INFINITY) << "token " << t << " cell " << c;
      }
    }
  }
}

void random_ops(int32_t n_cells, int32_t max_seqs, int steps, uint32_t seed) {
  KvCells kv({.n_cells = n_cells, .max_seqs = max_seqs});
  Ref ref(n_cells, max_seqs);
  std::mt19937 rng(seed);
  auto rnd = [&](int32_t lo, int32_t hi) {
    return std::uniform_int_distribution<int32_t>(lo, hi)(rng);
  };
  for (int step = 0; step < steps; ++step) {
    const int32_t s = rnd(0, max_seqs - 1);
    const int op = rnd(0, 9);
    if (op <= 4) {  // a batch, sometimes with a token shared by a second sequence
      const int32_t n = rnd(1, 6);
      auto slot = kv.find_slot(n);
      if (n > int32_t(ref.free_cells().size())) {
        ASSERT_FALSE(slot.ok());
        ASSERT_EQ(slot.error().code, Errc::kOutOfMemory);
        continue;
      }
      ASSERT_TRUE(slot.ok());
      ASSERT_EQ(cells_of(*slot), ref.expected_slot(n));
      const int32_t s2 = rnd(0, max_seqs - 1), p0 = ref.next_pos(s);
      std::vector<std::vector<int32_t>> ids(size_t(n), {s});
      if (s2 != s && rnd(0, 3) == 0) ids[0].push_back(s2);
      std::vector<std::span<const int32_t>> spans(ids.begin(), ids.end());
      std::vector<int32_t> pos = iota(p0, n);
      kv.commit(*slot, pos, spans);
      for (int32_t i = 0; i < n; ++i) {
        int32_t c = slot->cells[size_t(i)];
        ref.pos[size_t(c)] = p0 + i;
        for (int32_t q : ids[size_t(i)]) ref.seq[size_t(q)].insert(c);
      }
    } else if (op <= 6) {
      int32_t p0 = rnd(0, 20), p1 = rnd(0, 1) ? -1 : p0 + rnd(0, 10);
      kv.remove(s, p0, p1);
      ref.remove(s, p0, p1);
    } else if (op == 7) {  // context shift, or an arbitrary shift
      int32_t keep = rnd(0, 4), discard = rnd(1, 6);
      if (rnd(0, 1)) {
        kv.remove(s, keep, keep + discard);
        ref.remove(s, keep, keep + discard);
        kv.shift(s, keep + discard, -1, -discard);
        ref.shift_seq(s, keep + discard, -1, -discard);
      } else {
        int32_t d = rnd(-8, 8);
        kv.shift(s, keep, keep + discard, d);
        ref.shift_seq(s, keep, keep + discard, d);
      }
      if (rnd(0, 2) == 0) kv.clear_shifts(), std::fill(ref.shift.begin(), ref.shift.end(), 0);
    } else {
      int32_t dst = rnd(0, max_seqs - 1), n = rnd(0, 20);
      kv.copy_prefix(s, dst, n);
      ref.copy_prefix(s, dst, n);
    }
    ASSERT_NO_FATAL_FAILURE(expect_same(kv, ref)) << "step " << step;
    if (step % 10 == 0) {
      ASSERT_NO_FATAL_FAILURE(expect_masks_match(kv, ref, rng)) << "step " << step;
    }
  }
}

TEST(KvCells, RandomAgainstReference) {
  random_ops(48, 5, 4000, 1);
}
TEST(KvCells, RandomManySequencesAgainstReference) {
  random_ops(128, 130, 3000, 2);
}

TEST(KvCells, TwoHundredSequencesInterleaved) {
  constexpr int32_t kSeqs = 200;
  KvCells kv({.n_cells = 1024, .max_seqs = kSeqs});
  std::vector<std::vector<int32_t>> cells(kSeqs);
  for (int32_t round = 0; round < 4; ++round) {
    for (int32_t s = 0; s < kSeqs; ++s) {
      for (int32_t c : add(kv, s, round, 1)) cells[size_t(s)].push_back(c);
    }
  }
  EXPECT_EQ(kv.n_used(), 800);
  for (int32_t s = 0; s < kSeqs; ++s) {
    EXPECT_EQ(kv.seq_cells(s), 4);
    EXPECT_EQ(kv.seq_pos_max(s), 3);
    for (int32_t c : cells[size_t(s)]) EXPECT_TRUE(kv.has_seq(c, s) && kv.n_seqs(c) == 1);
  }
  const int32_t n_kv = kv.n_kv(256);
  std::vector<float> mask(static_cast<size_t>(n_kv));
  const int32_t pos = 2, seq = 150;
  kv.build_mask({&pos, 1}, {&seq, 1}, {.causal = true, .n_swa = 0, .n_kv = n_kv}, mask);
  for (int32_t c = 0; c < n_kv; ++c) {
    bool want = kv.has_seq(c, seq) && kv.pos(c) <= pos;
    EXPECT_EQ(mask[size_t(c)], want ? 0.0f : -INFINITY);
  }
  kv.remove(130, 0, -1);
  EXPECT_EQ(kv.seq_cells(130), 0);
  EXPECT_EQ(kv.seq_cells(131), 4);
  EXPECT_EQ(kv.n_used(), 796);
}

TEST(KvCells, SteadyStateDoesNotAllocate) {
  KvCells kv({.n_cells = 512, .max_seqs = 100});
  std::vector<int32_t> pos(8), seqs(8, 70), bp(8), bs(8, 70);
  std::vector<float> mask(size_t(8 * 512));
  const long before = g_news.load();
  bool ok = true;
  for (int32_t step = 0; step < 200; ++step) {
    auto slot = kv.find_slot(8);
    ok = ok && slot.ok();
    for (int32_t i = 0; i < 8; ++i) pos[size_t(i)] = bp[size_t(i)] = step * 8 + i;
    kv.commit(*slot, pos, seqs);
    kv.build_mask(bp, bs, {.causal = true, .n_swa = 64, .n_kv = kv.n_kv(256)},
                  std::span<float>(mask).first(size_t(8 * kv.n_kv(256))));
    if (kv.n_free() < 64) {  // context shift; positions keep growing, which is harmless here
      kv.remove(70, 4, 260);
      kv.shift(70, 260, -1, -256);
      kv.clear_shifts();
    }
  }
  const long allocations = g_news.load() - before;
  EXPECT_TRUE(ok);
  EXPECT_EQ(allocations, 0);
  EXPECT_FALSE(kv.find_slot(1000).ok());  // the error message allocates: the counter works
  EXPECT_GT(g_news.load() - before, 0);
}

}  // namespace
}  // namespace cria
