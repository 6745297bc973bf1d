#include "sampler/grammar.h"

#include <algorithm>
#include <functional>
#include <unordered_map>

#include "sampler/grammar_utf8.h"

namespace cria {

bool CharSet::contains(uint32_t cp) const {
  bool in = false;
  for (const Range& r : ranges) {
    if (cp >= r.lo && cp <= r.hi) {
      in = true;
      break;
    }
  }
  return in != negated;
}

bool CharSet::intersects(uint32_t lo, uint32_t hi) const {
  // ranges are sorted and merged (Grammar keeps them so).
  if (!negated) {
    for (const Range& r : ranges)
      if (r.lo <= hi && r.hi >= lo) return true;
    return false;
  }
  // Negated: some point of [lo, hi] lies outside every range.
  uint32_t at = lo;
  for (const Range& r : ranges) {
    if (r.hi < at) continue;
    if (r.lo > at) return true;
    if (r.hi >= hi) return false;
    at = r.hi + 1;
  }
  return at <= hi;
}

namespace {

using Kind = GrammarElement::Kind;
using Alt = std::vector<GrammarElement>;

constexpr uint32_t kMaxRepeat = 100000;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// Parses the text into rules of alternatives; Grammar::parse then checks and flattens them.
class GrammarBuilder {
 public:
  explicit GrammarBuilder(std::string_view src) : src_(src) {}

  Status parse() {
    skip_space(true);
    while (!eof()) {
      size_t at = pos_;
      std::string name = read_name();
      if (name.empty()) return fail(at, "expected a rule name");
      skip_space(false);
      if (src_.substr(pos_, 3) != "::=") return fail(pos_, "expected ::= after \"" + name + "\"");
      pos_ += 3;
      uint32_t id = rule_id(name);
      if (rules_[id].defined) return fail(at, "rule \"" + name + "\" is defined twice");
      rules_[id].defined = true;
      CRIA_ASSIGN_OR_RETURN(std::vector<Alt> alts, parse_alternatives(id));
      rules_[id].alts = std::move(alts);
      skip_space(true);
    }
    return {};
  }

  Result<std::shared_ptr<const Grammar>> build();

 private:
  struct PRule {
    std::string name;
    std::vector<Alt> alts;
    bool defined = false;
    size_t first_use = 0;  // byte offset, for "not defined" messages
  };

  bool eof() const { return pos_ >= src_.size(); }
  char peek() const { return eof() ? '\0' : src_[pos_]; }

  Error fail(size_t at, const std::string& what) const {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < at && i < src_.size(); ++i) {
      if (src_[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return make_error(Errc::kInvalidArgument, "grammar: line " + std::to_string(line) + " column " +
                                                  std::to_string(col) + ": " + what);
  }

  void skip_space(bool newlines) {
    while (!eof()) {
      char c = src_[pos_];
      if (c == '#') {
        while (!eof() && src_[pos_] != '\n') ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
        ++pos_;
      } else {
        return;
      }
    }
  }

  std::string read_name() {
    size_t start = pos_;
    while (!eof() && is_name_char(src_[pos_])) ++pos_;
    return std::string(src_.substr(start, pos_ - start));
  }

  // Whether the text at pos_ is `name ::=` (the start of the next rule).
  bool at_rule_start() const {
    size_t p = pos_;
    while (p < src_.size() && is_name_char(src_[p])) ++p;
    if (p == pos_) return false;
    while (p < src_.size() && (src_[p] == ' ' || src_[p] == '\t')) ++p;
    return src_.substr(p, 3) == "::=";
  }

  uint32_t rule_id(const std::string& name) {
    auto [it, added] = ids_.try_emplace(name, static_cast<uint32_t>(rules_.size()));
    if (added)
      rules_.push_back(PRule{.name = name, .alts = {}, .defined = false, .first_use = pos_});
    return it->second;
  }

  uint32_t new_rule(uint32_t parent, std::vector<Alt> alts) {
    std::string name = rules_[parent].name + "-" + std::to_string(rules_.size());
    uint32_t id = rule_id(name);
    rules_[id].defined = true;
    rules_[id].alts = std::move(alts);
    return id;
  }

  uint32_t add_charset(CharSet set) {
    charsets_.push_back(std::move(set));
    return static_cast<uint32_t>(charsets_.size() - 1);
  }

  Result<std::vector<Alt>> parse_alternatives(uint32_t rule) {
    std::vector<Alt> alts;
    for (;;) {
      CRIA_ASSIGN_OR_RETURN(Alt seq, parse_sequence(rule));
      alts.push_back(std::move(seq));
      skip_space(true);
      if (peek() != '|') return alts;
      ++pos_;
    }
  }

  Result<Alt> parse_sequence(uint32_t rule) {
    Alt seq;
    for (;;) {
      skip_space(true);
      if (eof() || peek() == '|' || peek() == ')' || at_rule_start()) return seq;
      CRIA_ASSIGN_OR_RETURN(Alt item, parse_item(rule));
      skip_space(false);
      CRIA_ASSIGN_OR_RETURN(item, parse_postfix(rule, std::move(item)));
      seq.insert(seq.end(), item.begin(), item.end());
    }
  }

  Result<Alt> parse_item(uint32_t rule) {
    const size_t at = pos_;
    const char c = peek();
    if (c == '"') return parse_literal();
    if (c == '[') return parse_class();
    if (c == '.') {
      ++pos_;
      return Alt{{Kind::kChars, add_charset(CharSet{{}, true})}};
    }
    if (c == '(') {
      ++pos_;
      CRIA_ASSIGN_OR_RETURN(std::vector<Alt> alts, parse_alternatives(rule));
      if (peek() != ')') return fail(pos_, "expected ) to close the group opened at " + where(at));
      ++pos_;
      if (alts.size() == 1) return std::move(alts[0]);
      return Alt{{Kind::kRule, new_rule(rule, std::move(alts))}};
    }
    if (is_name_char(c)) {
      return Alt{{Kind::kRule, rule_id(read_name())}};
    }
    return fail(at, std::string("unexpected character '") + c + "'");
  }

  std::string where(size_t at) const {
    std::string m = fail(at, "").message;  // "grammar: line L column C: "
    return m.substr(9, m.size() - 11);
  }

  // One code point of a literal or class, with escapes.
  Result<uint32_t> read_char() {
    const size_t at = pos_;
    if (peek() != '\\') {
      uint32_t cp = 0;
      size_t n = utf8_decode(src_.substr(pos_), cp);
      if (n == 0) return fail(at, "invalid UTF-8");
      pos_ += n;
      return cp;
    }
    ++pos_;
    const char e = peek();
    ++pos_;
    switch (e) {
      case 'n':
        return uint32_t{'\n'};
      case 'r':
        return uint32_t{'\r'};
      case 't':
        return uint32_t{'\t'};
      case '\\':
      case '"':
      case '[':
      case ']':
      case '-':
      case '^':
      case '\'':
        return static_cast<uint32_t>(e);
      case 'x':
        return read_hex(2, at);
      case 'u':
        return read_hex(4, at);
      case 'U':
        return read_hex(8, at);
      default:
        return fail(at, std::string("unknown escape \\") + e);
    }
  }

  Result<uint32_t> read_hex(int digits, size_t at) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      int h = hex_value(peek());
      if (h < 0) return fail(at, "expected " + std::to_string(digits) + " hex digits");
      v = v * 16 + static_cast<uint32_t>(h);
      ++pos_;
    }
    if (v > 0x10FFFF) return fail(at, "code point beyond U+10FFFF");
    return v;
  }

  Result<Alt> parse_literal() {
    const size_t at = pos_++;
    Alt out;
    while (peek() != '"') {
      if (eof() || peek() == '\n') return fail(at, "unterminated string literal");
      CRIA_ASSIGN_OR_RETURN(uint32_t cp, read_char());
      out.push_back({Kind::kChars, add_charset(CharSet{{{cp, cp}}, false})});
    }
    ++pos_;
    return out;
  }

  Result<Alt> parse_class() {
    const size_t at = pos_++;
    CharSet set;
    if (peek() == '^') {
      set.negated = true;
      ++pos_;
    }
    while (peek() != ']') {
      if (eof() || peek() == '\n') return fail(at, "unterminated character class");
      CRIA_ASSIGN_OR_RETURN(uint32_t lo, read_char());
      uint32_t hi = lo;
      if (peek() == '-' && pos_ + 1 < src_.size() && src_[pos_ + 1] != ']') {
        ++pos_;
        CRIA_ASSIGN_OR_RETURN(hi, read_char());
        if (hi < lo) return fail(at, "character range out of order");
      }
      set.ranges.push_back({lo, hi});
    }
    ++pos_;
    return Alt{{Kind::kChars, add_charset(std::move(set))}};
  }

  Result<uint32_t> read_count() {
    const size_t at = pos_;
    uint64_t v = 0;
    if (peek() < '0' || peek() > '9') return fail(at, "expected a number in {m,n}");
    while (peek() >= '0' && peek() <= '9') {
      v = v * 10 + static_cast<uint64_t>(peek() - '0');
      if (v > kMaxRepeat) return fail(at, "repetition count above " + std::to_string(kMaxRepeat));
      ++pos_;
    }
    return static_cast<uint32_t>(v);
  }

  Result<Alt> parse_postfix(uint32_t rule, Alt item) {
    for (;;) {
      const char c = peek();
      uint32_t min = 0, max = 0;
      bool unbounded = false;
      if (c == '*') {
        unbounded = true;
      } else if (c == '+') {
        min = 1;
        unbounded = true;
      } else if (c == '?') {
        max = 1;
      } else if (c == '{') {
        const size_t at = pos_++;
        CRIA_ASSIGN_OR_RETURN(min, read_count());
        max = min;
        if (peek() == ',') {
          ++pos_;
          if (peek() == '}') {
            unbounded = true;
          } else {
            CRIA_ASSIGN_OR_RETURN(max, read_count());
          }
        }
        if (peek() != '}') return fail(at, "expected } to close {m,n}");
        if (!unbounded && max < min) return fail(at, "{m,n} with n < m");
      } else {
        return item;
      }
      ++pos_;
      item = repeat(rule, std::move(item), min, max, unbounded);
      skip_space(false);
    }
  }

  // item{min,max} (max ignored when unbounded) as min copies then generated rules.
  Alt repeat(uint32_t rule, Alt item, uint32_t min, uint32_t max, bool unbounded) {
    GrammarElement x =
        item.size() == 1 ? item[0] : GrammarElement{Kind::kRule, new_rule(rule, {item})};
    Alt out(min, x);
    if (unbounded) {
      // star ::= x star | ε
      uint32_t star = new_rule(rule, {});
      rules_[star].alts = {Alt{x, {Kind::kRule, star}}, Alt{}};
      out.push_back({Kind::kRule, star});
    } else if (max > min) {
      // opt_1 ::= x | ε;  opt_k ::= x opt_{k-1} | ε
      uint32_t opt = new_rule(rule, {Alt{x}, Alt{}});
      for (uint32_t k = 1; k < max - min; ++k) {
        opt = new_rule(rule, {Alt{x, {Kind::kRule, opt}}, Alt{}});
      }
      out.push_back({Kind::kRule, opt});
    }
    return out;
  }

  Status check_defined() const {
    for (const PRule& r : rules_) {
      if (!r.defined) return fail(r.first_use, "rule \"" + r.name + "\" is used but not defined");
    }
    if (!ids_.count("root")) {
      return make_error(Errc::kInvalidArgument, "grammar: no \"root\" rule (the start rule)");
    }
    return {};
  }

  Status check_left_recursion() const;

  std::string_view src_;
  size_t pos_ = 0;
  std::vector<PRule> rules_;
  std::unordered_map<std::string, uint32_t> ids_;
  std::vector<CharSet> charsets_;
};

// A rule that can reach itself without consuming a code point would make the matcher's
// expansion loop: refuse it.
Status GrammarBuilder::check_left_recursion() const {
  const size_t n = rules_.size();
  std::vector<uint8_t> nullable(n, 0);
  for (bool changed = true; changed;) {
    changed = false;
    for (size_t r = 0; r < n; ++r) {
      if (nullable[r]) continue;
      for (const Alt& alt : rules_[r].alts) {
        bool all = std::all_of(alt.begin(), alt.end(), [&](const GrammarElement& e) {
          return e.kind == Kind::kRule && nullable[e.index];
        });
        if (all) {
          nullable[r] = 1;
          changed = true;
          break;
        }
      }
    }
  }
  // Edges r -> s where s can start r; then a depth-first search for a cycle.
  std::vector<std::vector<uint32_t>> left(n);
  for (size_t r = 0; r < n; ++r) {
    for (const Alt& alt : rules_[r].alts) {
      for (const GrammarElement& e : alt) {
        if (e.kind != Kind::kRule) break;
        left[r].push_back(e.index);
        if (!nullable[e.index]) break;
      }
    }
  }
  std::vector<uint8_t> color(n, 0);  // 0 new, 1 on the path, 2 done
  std::function<bool(uint32_t)> cyclic = [&](uint32_t r) {
    color[r] = 1;
    for (uint32_t s : left[r]) {
      if (color[s] == 1 || (color[s] == 0 && cyclic(s))) return true;
    }
    color[r] = 2;
    return false;
  };
  for (uint32_t r = 0; r < n; ++r) {
    if (color[r] == 0 && cyclic(r)) {
      return make_error(Errc::kInvalidArgument,
                        "grammar: rule \"" + rules_[r].name +
                            "\" is left-recursive or repeats something that can be empty; "
                            "rewrite it so every repetition consumes a character");
    }
  }
  return {};
}

Result<std::shared_ptr<const Grammar>> GrammarBuilder::build() {
  CRIA_RETURN_IF_ERROR(check_defined());
  CRIA_RETURN_IF_ERROR(check_left_recursion());
  auto g = std::make_shared<Grammar>();
  for (CharSet& set : charsets_) {
    std::sort(set.ranges.begin(), set.ranges.end(),
              [](const CharSet::Range& a, const CharSet::Range& b) { return a.lo < b.lo; });
    std::vector<CharSet::Range> merged;
    for (const CharSet::Range& r : set.ranges) {
      if (!merged.empty() && r.lo <= merged.back().hi + 1) {
        merged.back().hi = std::max(merged.back().hi, r.hi);
      } else {
        merged.push_back(r);
      }
    }
    set.ranges = std::move(merged);
    Grammar::ByteMask mask{};
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t lo = 0, hi = 0;
      if (utf8_lead_range(static_cast<uint8_t>(b), lo, hi) && set.intersects(lo, hi)) {
        mask[b / 64] |= uint64_t{1} << (b % 64);
      }
    }
    g->first_bytes_.push_back(mask);
  }
  g->charsets_ = std::move(charsets_);
  for (PRule& r : rules_) {
    Grammar::Rule out{.name = std::move(r.name), .alts = {}};
    for (const Alt& alt : r.alts) {
      out.alts.push_back(static_cast<uint32_t>(g->elements_.size()));
      g->elements_.insert(g->elements_.end(), alt.begin(), alt.end());
      g->elements_.push_back({Kind::kEnd, 0});
    }
    g->rules_.push_back(std::move(out));
  }
  g->root_ = ids_.at("root");
  return std::shared_ptr<const Grammar>(std::move(g));
}

Result<std::shared_ptr<const Grammar>> Grammar::parse(std::string_view text) {
  GrammarBuilder b(text);
  CRIA_RETURN_IF_ERROR(b.parse());
  return b.build();
}

}  // namespace cria
