// Byte-level BPE pre-tokenizers: the regexes of each `tokenizer.ggml.pre`,
// kept as data, and a splitter that runs them with PCRE2 (UTF, UCP, JIT).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace cria::tokenizer {

struct PreTokenizerSpec {
  std::vector<std::string_view> names;  // tokenizer.ggml.pre values
  std::vector<std::string_view> regexes;
  bool ignore_merges = false;  // a word that is a whole token skips the merges
  bool clean_spaces = true;    // clean_up_tokenization_spaces when decoding
  bool add_bos = false;        // default when the GGUF does not say
};

// The entry for `pre`; "" and "default" give the default entry. nullptr: unknown.
const PreTokenizerSpec* find_pre_tokenizer(std::string_view pre);

// Splits text into words as llama.cpp's unicode_regex_split does: each regex
// in turn cuts every piece made so far into its matches and the gaps between
// them. The regexes are compiled once.
class RegexSplitter {
 public:
  static Result<RegexSplitter> compile(const std::vector<std::string_view>& regexes);
  RegexSplitter(RegexSplitter&&) noexcept;
  RegexSplitter& operator=(RegexSplitter&&) noexcept;
  ~RegexSplitter();

  // `text` must be valid UTF-8. Appends [begin, end) byte ranges to `words`.
  void split(std::string_view text, std::vector<std::pair<size_t, size_t>>& words) const;

 private:
  struct Impl;
  RegexSplitter();
  std::unique_ptr<Impl> impl_;
};

// Rewrites `\s` and `\S` to the White_Space set llama.cpp uses (PCRE2's `\s`
// with UCP lacks U+0085). Exposed for tests.
std::string rewrite_regex(std::string_view regex);

}  // namespace cria::tokenizer
