// Text ↔ token ids, configured only by a GGUF file's `tokenizer.ggml.*`
// metadata: SentencePiece (`llama`), byte-level BPE (`gpt2`, pre-tokenizer
// chosen by `tokenizer.ggml.pre`) and WordPiece (`bert`). The tokenizer owns
// copies of everything it reads, so it may outlive the gguf::File.
//
// Encoding follows llama.cpp's llama_tokenize; the golden vectors in
// ../shared/models/vocab pin it down.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/reader.h"

namespace cria::tokenizer {

enum class Model { kSpm, kBpe, kWpm };

// tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

struct EncodeOptions {
  // Add BOS/EOS (or BERT's CLS/SEP) as the vocabulary asks.
  bool add_special = true;
  // Turn the text of control tokens into their ids. Off: a prompt that
  // contains "<|im_end|>" is tokenized as plain text. User-defined tokens
  // (type 4) are always matched, as in llama.cpp and Hugging Face.
  bool parse_special = false;
  // Overrides of tokenizer.ggml.add_bos_token / add_eos_token (with add_special).
  std::optional<bool> add_bos;
  std::optional<bool> add_eos;
};

struct DecodeOptions {
  // Render control/unknown tokens as their text ("<s>"); off: they vanish.
  bool render_special = false;
  // For SentencePiece vocabularies that add a space prefix: drop the leading
  // space of the first piece (llama.cpp's detokenize does the same).
  bool strip_leading_space = true;
  // BPE vocabularies with clean_up_tokenization_spaces: " ," → ",", etc.
  bool clean_spaces = true;
};

class Tokenizer {
 public:
  static Result<Tokenizer> from_gguf(const gguf::File& file);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  std::vector<int32_t> encode(std::string_view text, const EncodeOptions& opts = {}) const;
  // Appends to `out`.
  void encode(std::string_view text, const EncodeOptions& opts, std::vector<int32_t>& out) const;

  // Out-of-range ids decode to nothing.
  std::string decode(std::span<const int32_t> ids, const DecodeOptions& opts = {}) const;
  // The bytes a token stands for (control tokens as their text); "" when out of range.
  const std::string& token_to_piece(int32_t id) const;

  int32_t n_vocab() const;
  Model model() const;
  std::string_view pre() const;  // tokenizer.ggml.pre, "" for none
  std::string_view token_text(int32_t id) const;
  TokenType token_type(int32_t id) const;
  float token_score(int32_t id) const;
  std::optional<int32_t> find_token(std::string_view text) const;

  // -1 where the vocabulary has none.
  int32_t bos() const;
  int32_t eos() const;
  int32_t unk() const;
  int32_t pad() const;
  int32_t sep() const;
  bool add_bos() const;
  bool add_eos() const;
  bool add_space_prefix() const;
  // End of generation: EOS, EOT, EOM and the usual end-of-turn tokens.
  bool is_eog(int32_t id) const;
  bool is_control(int32_t id) const;

  struct Impl;  // opaque

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Turns generated ids into text as they arrive, emitting only complete UTF-8:
// a character whose bytes span several tokens comes out with its last byte.
class StreamDecoder {
 public:
  struct Options {
    bool render_special = false;
    bool strip_leading_space = false;  // see DecodeOptions
  };
  explicit StreamDecoder(const Tokenizer& tok) : StreamDecoder(tok, Options{}) {}
  StreamDecoder(const Tokenizer& tok, Options opts) : tok_(&tok), opts_(opts) {}

  // The text that became complete with this token (often "").
  std::string push(int32_t id);
  // Whatever is held back (an incomplete sequence, as U+FFFD), and reset.
  std::string flush();
  void reset();

 private:
  const Tokenizer* tok_;
  Options opts_;
  std::string pending_;
  bool first_ = true;
};

}  // namespace cria::tokenizer
