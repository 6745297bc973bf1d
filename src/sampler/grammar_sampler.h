// GrammarSampler: constrained sampling with a Sampler and a GrammarMatcher.
//
// Cheap when the model already follows the grammar: the sampler draws from the
// raw logits first, and only when the grammar rejects that token is every token
// the grammar rejects set to -inf and the draw repeated (llama.cpp's approach).
// End-of-generation tokens are allowed only where the grammar is complete.
//
// The vocabulary (each token's bytes) is built once per model and shared by all
// requests; the masked copy of the logits is scratch allocated at construction. Masking
// walks the tokens in byte order, so tokens re-feed only the bytes they do not share with
// the one before, and a rejected prefix rejects every token that starts with it unfed.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "sampler/grammar.h"
#include "sampler/grammar_matcher.h"
#include "sampler/sampler.h"

namespace cria {

struct GrammarVocab {
  // The bytes each token stands for in the output; "" for tokens that produce no
  // text (control tokens): those are never allowed, except end-of-generation ones.
  std::vector<std::string> pieces;
  std::vector<uint8_t> eog;  // 1: ends the generation
  // The tokens with text that do not end the generation, sorted by their bytes, and how
  // many leading bytes each shares with the one before it (0 for the first): masking walks
  // them as a trie.
  std::vector<int32_t> sorted;
  std::vector<uint32_t> shared;

  static std::shared_ptr<const GrammarVocab> make(std::vector<std::string> pieces,
                                                  std::span<const int32_t> eog_ids);
  int32_t size() const { return static_cast<int32_t>(pieces.size()); }
};

class GrammarSampler {
 public:
  GrammarSampler(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const GrammarVocab> vocab);

  // A token the grammar allows, drawn by `sampler` (whose n_vocab must equal the
  // vocabulary's). Fails when the grammar allows no token of this vocabulary.
  Result<int32_t> sample(Sampler& sampler, std::span<const float> logits);
  // Whether the grammar allows this token now.
  bool allowed(int32_t token) const;
  // Advances the grammar past the token; false (state unchanged) when it is not allowed.
  bool accept(int32_t token);
  // Sets the logit of every token the grammar rejects to -inf; returns how many remain.
  int32_t mask(std::span<float> logits) const;
  // The grammar is complete and nothing can follow: the generation is over.
  bool done() const { return matcher_.done(); }
  const GrammarMatcher& matcher() const { return matcher_; }

 private:
  GrammarMatcher matcher_;
  std::shared_ptr<const GrammarVocab> vocab_;
  std::vector<float> masked_;  // n_vocab, reused by every masked draw
  mutable GrammarMatcher::Walk walk_;
};

}  // namespace cria
