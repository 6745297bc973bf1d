// The vocabulary read from GGUF metadata, shared by every tokenizer kind.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "gguf/reader.h"
#include "tokenizer/tokenizer.h"

namespace cria::tokenizer {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Vocab {
  Model model = Model::kSpm;
  std::string pre;
  std::vector<std::string> text;
  std::vector<float> score;
  std::vector<TokenType> type;
  std::unordered_map<std::string, int32_t, StringHash, std::equal_to<>> index;
  size_t max_token_len = 0;

  int32_t bos = -1, eos = -1, unk = -1, sep = -1, pad = -1, eot = -1, eom = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_sep = false;           // WordPiece: SEP closes the sequence
  bool add_space_prefix = false;  // SentencePiece
  bool clean_spaces = false;      // decode: clean_up_tokenization_spaces
  bool lowercase = true;          // WordPiece normalizer
  bool strip_accents = true;
  std::vector<int32_t> eog;      // sorted
  std::vector<int32_t> special;  // control, user-defined, unknown; longest text first
  // Per token (empty: none): whitespace right after this special token is dropped when it is
  // cut out of the text (llama.cpp's RSTRIP attribute, which it gives Phi-3's specials).
  std::vector<uint8_t> rstrip;

  int32_t size() const { return static_cast<int32_t>(text.size()); }
  bool valid(int32_t id) const { return id >= 0 && id < size(); }
  int32_t find(std::string_view s) const {
    auto it = index.find(s);
    return it == index.end() ? -1 : it->second;
  }
};

// Reads tokens, scores, types, special ids and flags. The model-specific
// parts (BPE merges, pre-tokenizer) are read by their own code.
Result<Vocab> load_vocab(const gguf::File& file);

}  // namespace cria::tokenizer
