// Grammar: a context-free grammar over Unicode code points, written in a small
// GBNF-like language and compiled to flat arrays the matcher walks.
//
//   root   ::= "{" ws pair ( "," ws pair )* "}"   # rules: name ::= alternatives
//   pair   ::= [a-z]+ ":" ws ( "true" | "false" )
//   ws     ::= [ \t\n]{0,4}
//
// Elements: "literal" (escapes \n \r \t \\ \" \xHH \uHHHH \UHHHHHHHH), [class]
// ([^...] negates; ranges a-z; the same escapes and \] \- \^), `.` (any code
// point), rule names, ( groups ), and the postfix operators * + ? {m} {m,} {m,n}.
// Alternatives are separated by |; a rule may continue over several lines; # starts
// a comment. The start rule is `root`. Repetitions become generated right-recursive
// rules; left recursion is refused when the grammar is compiled (the matcher could
// not terminate on it).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cria {

// One position in a rule alternative.
struct GrammarElement {
  enum class Kind : uint8_t {
    kChars,  // matches one code point in charsets[index]
    kRule,   // expands rule `index`
    kEnd,    // ends an alternative
  };
  Kind kind;
  uint32_t index;
};

// A set of code points: the union of `ranges` (inclusive), complemented when `negated`.
struct CharSet {
  struct Range {
    uint32_t lo, hi;
  };
  std::vector<Range> ranges;
  bool negated = false;

  bool contains(uint32_t cp) const;
  // Whether any code point in [lo, hi] is in the set.
  bool intersects(uint32_t lo, uint32_t hi) const;
};

class Grammar {
 public:
  // Parses and checks grammar text: every referenced rule defined, a `root` rule,
  // no left recursion. Messages name the line and column, or the rule.
  static Result<std::shared_ptr<const Grammar>> parse(std::string_view text);

  // Element positions: `elements()[p]` for p from an alternative start up to its kEnd.
  const std::vector<GrammarElement>& elements() const { return elements_; }
  const std::vector<CharSet>& charsets() const { return charsets_; }
  // Bit b set: a code point whose UTF-8 starts with byte b may be in charsets()[i].
  using ByteMask = std::array<uint64_t, 4>;
  const ByteMask& first_bytes(uint32_t charset) const { return first_bytes_[charset]; }
  // The start position of each alternative of rule r.
  const std::vector<uint32_t>& alternatives(uint32_t r) const { return rules_[r].alts; }
  const std::string& rule_name(uint32_t r) const { return rules_[r].name; }
  size_t n_rules() const { return rules_.size(); }
  uint32_t root() const { return root_; }

 private:
  friend class GrammarBuilder;
  struct Rule {
    std::string name;
    std::vector<uint32_t> alts;
  };
  std::vector<GrammarElement> elements_;
  std::vector<CharSet> charsets_;  // ranges sorted and merged
  std::vector<ByteMask> first_bytes_;
  std::vector<Rule> rules_;
  uint32_t root_ = 0;
};

}  // namespace cria
