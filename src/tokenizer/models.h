// The three tokenizer kinds. Each encodes one piece of plain text (special
// tokens already cut out) and appends ids; each is immutable after creation,
// so one instance serves concurrent callers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "gguf/reader.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/vocab.h"

namespace cria::tokenizer {

// SentencePiece: the highest-scoring adjacent pair that is a token merges
// first (llama.cpp's llm_tokenizer_spm); what is left over falls back to
// <0xXX> byte tokens. `text` has spaces already turned into U+2581.
void spm_encode(const Vocab& v, std::string_view text, std::vector<int32_t>& out);

// WordPiece with llama.cpp's BERT conversion: word-initial pieces carry a
// U+2581 prefix instead of continuations carrying "##".
void wpm_encode(const Vocab& v, std::string_view text, std::vector<int32_t>& out);

// GPT-2 byte-to-unicode mapping.
uint32_t byte_to_codepoint(uint8_t b);
// Inverse; -1 for a code point that stands for no byte.
int byte_from_codepoint(uint32_t cp);

class BpeModel {
 public:
  static Result<BpeModel> create(const gguf::File& file, const Vocab& v,
                                 const PreTokenizerSpec& spec);
  // `text` must be valid UTF-8.
  void encode(const Vocab& v, std::string_view text, std::vector<int32_t>& out) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  struct Symbol {
    int32_t id;
    int32_t prev, next;
  };
  BpeModel(RegexSplitter splitter) : splitter_(std::move(splitter)) {}
  Status load_merges(const gguf::File& file, const Vocab& v);
  const Merge* find_merge(int32_t left, int32_t right) const;
  void encode_word(const Vocab& v, std::string_view word, std::vector<Symbol>& syms,
                   std::vector<int32_t>& out) const;

  RegexSplitter splitter_;
  std::unordered_map<uint64_t, Merge> merges_;
  std::array<int32_t, 256> byte_token_{};
  bool ignore_merges_ = false;
};

}  // namespace cria::tokenizer
