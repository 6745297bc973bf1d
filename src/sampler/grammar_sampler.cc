#include "sampler/grammar_sampler.h"

#include <algorithm>
#include <cassert>
#include <limits>

namespace cria {

std::shared_ptr<const GrammarVocab> GrammarVocab::make(std::vector<std::string> pieces,
                                                       std::span<const int32_t> eog_ids) {
  auto v = std::make_shared<GrammarVocab>();
  v->eog.assign(pieces.size(), 0);
  for (int32_t id : eog_ids) {
    if (id >= 0 && static_cast<size_t>(id) < pieces.size()) v->eog[id] = 1;
  }
  v->pieces = std::move(pieces);
  return v;
}

GrammarSampler::GrammarSampler(std::shared_ptr<const Grammar> grammar,
                               std::shared_ptr<const GrammarVocab> vocab)
    : matcher_(std::move(grammar)),
      vocab_(std::move(vocab)),
      masked_(static_cast<size_t>(vocab_->size())) {}

bool GrammarSampler::allowed(int32_t token) const {
  if (token < 0 || token >= vocab_->size()) return false;
  if (vocab_->eog[token]) return matcher_.can_end();
  const std::string& piece = vocab_->pieces[token];
  return !piece.empty() && matcher_.accepts(piece);
}

bool GrammarSampler::accept(int32_t token) {
  if (!allowed(token)) return false;
  if (vocab_->eog[token]) return true;
  return matcher_.accept(vocab_->pieces[token]);
}

int32_t GrammarSampler::mask(std::span<float> logits) const {
  assert(logits.size() == vocab_->pieces.size());
  const Grammar::ByteMask first = matcher_.first_bytes();
  const bool can_end = matcher_.can_end();
  int32_t kept = 0;
  for (int32_t t = 0; t < vocab_->size(); ++t) {
    const std::string& piece = vocab_->pieces[t];
    bool ok;
    if (vocab_->eog[t]) {
      ok = can_end;
    } else if (piece.empty()) {
      ok = false;
    } else {
      const auto b = static_cast<uint8_t>(piece[0]);
      ok = (first[b / 64] >> (b % 64) & 1) && matcher_.accepts(piece);
    }
    if (ok) {
      ++kept;
    } else {
      logits[t] = -std::numeric_limits<float>::infinity();
    }
  }
  return kept;
}

Result<int32_t> GrammarSampler::sample(Sampler& sampler, std::span<const float> logits) {
  assert(sampler.n_vocab() == vocab_->size());
  int32_t token = sampler.sample(logits);
  if (allowed(token)) return token;
  std::copy(logits.begin(), logits.end(), masked_.begin());
  if (mask(masked_) == 0) {
    return make_error(Errc::kInvalidArgument,
                      "the format's grammar allows no token of this model's vocabulary here; "
                      "simplify the format (JSON schema)");
  }
  token = sampler.sample(masked_);
  if (allowed(token)) return token;
  // The draw can land in the rounding slack past the last live candidate: take the
  // most likely allowed token instead.
  return static_cast<int32_t>(std::max_element(masked_.begin(), masked_.end()) - masked_.begin());
}

}  // namespace cria
