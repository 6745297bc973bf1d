#include <cstdio>
#include <queue>

#include "tokenizer/models.h"
#include "tokenizer/unicode.h"

namespace cria::tokenizer {
namespace {

struct Symbol {
  size_t offset, n;  // bytes of the text; n == 0 once merged away
  int32_t prev, next;
};

struct Bigram {
  float score;
  int32_t left, right;
  size_t size;
};

// Highest score first; on a tie, the leftmost pair.
struct ByScore {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

using Queue = std::priority_queue<Bigram, std::vector<Bigram>, ByScore>;

void try_pair(const Vocab& v, std::string_view text, const std::vector<Symbol>& syms, int32_t l,
              int32_t r, Queue& q) {
  if (l < 0 || r < 0) return;
  const size_t n = syms[l].n + syms[r].n;
  const int32_t id = v.find(text.substr(syms[l].offset, n));
  if (id < 0) return;
  q.push(Bigram{v.score[id], l, r, n});
}

void emit(const Vocab& v, std::string_view piece, std::vector<int32_t>& out) {
  const int32_t id = v.find(piece);
  if (id >= 0) {
    out.push_back(id);
    return;
  }
  // Not a token (merges only make tokens, so this is one character): bytes.
  for (char c : piece) {
    char hex[8];
    std::snprintf(hex, sizeof hex, "<0x%02X>", static_cast<uint8_t>(c));
    int32_t b = v.find(hex);
    if (b < 0) b = v.find(std::string_view(&c, 1));
    if (b < 0) b = v.unk;
    if (b >= 0) out.push_back(b);
  }
}

}  // namespace

void spm_encode(const Vocab& v, std::string_view text, std::vector<int32_t>& out) {
  std::vector<Symbol> syms;
  syms.reserve(text.size());
  for (size_t off = 0; off < text.size();) {
    const size_t n = std::min(utf8_seq_len(static_cast<uint8_t>(text[off])), text.size() - off);
    const auto i = static_cast<int32_t>(syms.size());
    syms.push_back(Symbol{off, n, i - 1, off + n == text.size() ? -1 : i + 1});
    off += n;
  }
  Queue q;
  for (int32_t i = 1; i < static_cast<int32_t>(syms.size()); ++i)
    try_pair(v, text, syms, i - 1, i, q);
  while (!q.empty()) {
    const Bigram b = q.top();
    q.pop();
    Symbol& l = syms[b.left];
    Symbol& r = syms[b.right];
    if (l.n == 0 || r.n == 0 || l.n + r.n != b.size) continue;  // stale
    l.n += r.n;
    r.n = 0;
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    try_pair(v, text, syms, l.prev, b.left, q);
    try_pair(v, text, syms, b.left, l.next, q);
  }
  for (int32_t i = syms.empty() ? -1 : 0; i != -1; i = syms[i].next) {
    emit(v, text.substr(syms[i].offset, syms[i].n), out);
  }
}

}  // namespace cria::tokenizer
