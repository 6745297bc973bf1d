#include "sampler/grammar_matcher.h"

#include <algorithm>
#include <utility>

#include "sampler/grammar_utf8.h"

namespace cria {

using Kind = GrammarElement::Kind;

void GrammarMatcher::StackSet::clear() {
  data.clear();
  start.resize(1);
  hash.clear();
}

void GrammarMatcher::StackSet::add(std::span<const uint32_t> stack) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a over the positions
  for (uint32_t p : stack) h = (h ^ p) * 1099511628211ull;
  for (size_t i = 0; i < hash.size(); ++i) {
    if (hash[i] != h) continue;
    auto other = (*this)[i];
    if (std::equal(other.begin(), other.end(), stack.begin(), stack.end())) return;
  }
  data.insert(data.end(), stack.begin(), stack.end());
  start.push_back(static_cast<uint32_t>(data.size()));
  hash.push_back(h);
}

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar)
    : grammar_(std::move(grammar)) {
  reset();
}

void GrammarMatcher::reset() {
  stacks_.clear();
  partial_ = {};
  work_.clear();
  for (uint32_t alt : grammar_->alternatives(grammar_->root())) {
    work_.assign(1, alt);
    expand(work_, stacks_);
  }
}

void GrammarMatcher::expand(std::vector<uint32_t>& work, StackSet& out) const {
  if (work.empty()) return out.add(work);
  const uint32_t p = work.back();
  const GrammarElement& el = grammar_->elements()[p];
  if (el.kind == Kind::kChars) return out.add(work);
  work.pop_back();
  if (el.kind == Kind::kEnd) {
    expand(work, out);
  } else {
    // Return to p + 1 after the rule, unless the alternative ends there (a tail call).
    const bool ret = grammar_->elements()[p + 1].kind != Kind::kEnd;
    if (ret) work.push_back(p + 1);
    for (uint32_t alt : grammar_->alternatives(el.index)) {
      work.push_back(alt);
      expand(work, out);
      work.pop_back();
    }
    if (ret) work.pop_back();
  }
  work.push_back(p);
}

bool GrammarMatcher::step(const StackSet& in, uint32_t cp, StackSet& out) const {
  out.clear();
  const auto& elements = grammar_->elements();
  for (size_t i = 0; i < in.size(); ++i) {
    auto stack = in[i];
    if (stack.empty()) continue;
    const GrammarElement& el = elements[stack.back()];
    if (!grammar_->charsets()[el.index].contains(cp)) continue;
    work_.assign(stack.begin(), stack.end());
    ++work_.back();
    expand(work_, out);
  }
  return out.size() > 0;
}

bool GrammarMatcher::partial_viable(const StackSet& set, const Partial& p) const {
  uint32_t lo = 0, hi = 0;
  if (!utf8_prefix_range(p.value, p.need, p.tail, lo, hi)) return false;
  for (size_t i = 0; i < set.size(); ++i) {
    auto stack = set[i];
    if (stack.empty()) continue;
    const GrammarElement& el = grammar_->elements()[stack.back()];
    if (grammar_->charsets()[el.index].intersects(lo, hi)) return true;
  }
  return false;
}

bool GrammarMatcher::push_byte(uint8_t b, Partial& partial) {
  if (partial.need == 0) {
    const int tail = utf8_tail_length(b);
    if (tail < 0) return false;
    partial.value = utf8_lead_bits(b);
    partial.need = partial.tail = static_cast<int8_t>(tail);
  } else {
    if ((b & 0xC0) != 0x80) return false;
    partial.value = (partial.value << 6) | (b & 0x3Fu);
    --partial.need;
  }
  return partial.need > 0 || utf8_valid_scalar(partial.value, partial.tail);
}

bool GrammarMatcher::feed(std::string_view bytes, StackSet& cur, StackSet& next,
                          Partial& partial) const {
  for (char ch : bytes) {
    if (!push_byte(static_cast<uint8_t>(ch), partial)) return false;
    if (partial.need > 0) continue;
    if (!step(cur, partial.value, next)) return false;
    std::swap(cur, next);
  }
  return partial.need == 0 || partial_viable(cur, partial);
}

void GrammarMatcher::start_walk(Walk& w) const {
  if (w.sets_.empty()) {
    w.sets_.resize(1);
    w.partials_.resize(1);
  }
  w.sets_[0] = stacks_;
  w.partials_[0] = partial_;
  w.depth_ = 0;
}

size_t GrammarMatcher::walk_to(Walk& w, std::string_view bytes, size_t shared) const {
  if (w.sets_.size() < bytes.size() + 1) {
    w.sets_.resize(bytes.size() + 1);
    w.partials_.resize(bytes.size() + 1);
  }
  size_t d = std::min(shared, w.depth_);
  for (; d < bytes.size(); ++d) {
    Partial p = w.partials_[d];
    if (!push_byte(static_cast<uint8_t>(bytes[d]), p)) break;
    if (p.need > 0) {
      w.sets_[d + 1] = w.sets_[d];  // inside a code point: the stacks wait for its end
    } else if (!step(w.sets_[d], p.value, w.sets_[d + 1])) {
      break;
    }
    w.partials_[d + 1] = p;
  }
  w.depth_ = d;
  return d;
}

bool GrammarMatcher::walk_accepts(const Walk& w) const {
  const Partial& p = w.partials_[w.depth_];
  return p.need == 0 || partial_viable(w.sets_[w.depth_], p);
}

bool GrammarMatcher::accepts(std::string_view bytes) const {
  sim_ = stacks_;
  Partial p = partial_;
  return feed(bytes, sim_, tmp_, p);
}

bool GrammarMatcher::accept(std::string_view bytes) {
  sim_ = stacks_;
  Partial p = partial_;
  if (!feed(bytes, sim_, tmp_, p)) return false;
  std::swap(stacks_, sim_);
  partial_ = p;
  return true;
}

bool GrammarMatcher::can_end() const {
  if (partial_.need != 0) return false;
  for (size_t i = 0; i < stacks_.size(); ++i)
    if (stacks_[i].empty()) return true;
  return false;
}

bool GrammarMatcher::done() const {
  return stacks_.size() == 1 && stacks_[0].empty() && partial_.need == 0;
}

Grammar::ByteMask GrammarMatcher::first_bytes() const {
  Grammar::ByteMask mask{};
  if (partial_.need != 0) {
    mask[2] = ~uint64_t{0};  // continuation bytes 0x80..0xBF
    return mask;
  }
  for (size_t i = 0; i < stacks_.size(); ++i) {
    auto stack = stacks_[i];
    if (stack.empty()) continue;
    const auto& m = grammar_->first_bytes(grammar_->elements()[stack.back()].index);
    for (size_t w = 0; w < 4; ++w) mask[w] |= m[w];
  }
  return mask;
}

}  // namespace cria
