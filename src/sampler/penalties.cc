#include "sampler/penalties.h"

#include <algorithm>
#include <cassert>

namespace cria {

PenaltyWindow::PenaltyWindow(int32_t window, int32_t n_vocab)
    : ring_(static_cast<size_t>(std::max(window, 0))),
      counts_(static_cast<size_t>(n_vocab), 0),
      seen_(static_cast<size_t>(n_vocab), 0) {}

void PenaltyWindow::accept(int32_t token) {
  assert(token >= 0 && static_cast<size_t>(token) < counts_.size());
  const auto cap = static_cast<int32_t>(ring_.size());
  if (cap == 0) return;
  if (size_ < cap) {
    ring_[size_++] = token;
  } else {
    // Full: overwrite the oldest entry and forget one occurrence of it.
    --counts_[ring_[head_]];
    ring_[head_] = token;
    head_ = (head_ + 1) % cap;
  }
  ++counts_[token];
}

void PenaltyWindow::reset() {
  for (int32_t i = 0; i < size_; ++i) counts_[ring_[i]] = 0;
  head_ = 0;
  size_ = 0;
}

}  // namespace cria
