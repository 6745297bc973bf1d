// GrammarMatcher: where a generation stands in a Grammar, fed UTF-8 bytes.
//
// The state is a set of stacks (a pushdown automaton run on every parse at once):
// each stack holds return positions, its top the character class to match next;
// an empty stack means the root rule is complete. A token's bytes may end inside
// a code point: the matcher keeps the partial code point and accepts the token
// only if some class can still match a code point with that prefix.
//
// Costs: the stacks live in flat buffers reused between calls; once they have
// grown to the grammar's working size, accepts() and accept() do not allocate.
// Not thread-safe (accepts() uses the scratch buffers).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "sampler/grammar.h"

namespace cria {

class GrammarMatcher {
 public:
  explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

  // Whether feeding these bytes keeps a parse alive. "" is accepted.
  bool accepts(std::string_view bytes) const;
  // Feeds the bytes; on false (rejected) the state is unchanged.
  bool accept(std::string_view bytes);

  // The input so far is a complete sentence (no partial code point pending).
  bool can_end() const;
  // Complete, and nothing can follow.
  bool done() const;
  // Bit b: some token starting with byte b may be accepted (a quick pre-filter).
  Grammar::ByteMask first_bytes() const;

  void reset();
  const Grammar& grammar() const { return *grammar_; }

  // Trying many byte strings from the current state, in sorted order: the states after each
  // prefix of the last string walked are kept, so the next one feeds only the bytes it does
  // not share with it. Scratch reused across calls (no allocation once grown).
  class Walk;
  // Moves `w` to the current state.
  void start_walk(Walk& w) const;
  // Walks to `bytes`, of which the first `shared` equal the previous string's: returns how
  // many of its bytes keep a parse alive (bytes.size(): all of them; then walk_accepts() says
  // whether it may end there, as accepts(bytes) would).
  size_t walk_to(Walk& w, std::string_view bytes, size_t shared) const;
  bool walk_accepts(const Walk& w) const;

 private:
  // A set of distinct stacks in one flat buffer.
  struct StackSet {
    std::vector<uint32_t> data;
    std::vector<uint32_t> start{0};  // stack i is data[start[i], start[i + 1])
    std::vector<uint64_t> hash;

    size_t size() const { return hash.size(); }
    std::span<const uint32_t> operator[](size_t i) const {
      return {data.data() + start[i], data.data() + start[i + 1]};
    }
    void clear();
    void add(std::span<const uint32_t> stack);  // skips duplicates
  };
  struct Partial {
    uint32_t value = 0;  // bits of the code point so far
    int8_t need = 0;     // continuation bytes still to come
    int8_t tail = 0;     // continuation bytes in total
  };

  friend class Walk;

  // One byte into a partial code point; false when it cannot be UTF-8. need == 0 after it:
  // partial.value is a complete, valid code point.
  static bool push_byte(uint8_t b, Partial& partial);
  // Feeds bytes into (cur, partial), using `next` as scratch; false when no parse survives.
  bool feed(std::string_view bytes, StackSet& cur, StackSet& next, Partial& partial) const;
  bool step(const StackSet& in, uint32_t cp, StackSet& out) const;
  bool partial_viable(const StackSet& set, const Partial& p) const;
  // Pushes the expansions of `work` (whose top may be a rule or an end) into out.
  void expand(std::vector<uint32_t>& work, StackSet& out) const;

  std::shared_ptr<const Grammar> grammar_;
  StackSet stacks_;
  Partial partial_;
  // Scratch for accepts()/accept().
  mutable StackSet sim_, tmp_;
  mutable std::vector<uint32_t> work_;
};

class GrammarMatcher::Walk {
 private:
  friend class GrammarMatcher;
  std::vector<StackSet> sets_;  // sets_[d]: the stacks after d bytes of the current string
  std::vector<Partial> partials_;
  size_t depth_ = 0;  // states 0..depth_ are valid
};

}  // namespace cria
