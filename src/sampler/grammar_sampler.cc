#include "sampler/grammar_sampler.h"

#include <algorithm>
#include <cassert>
#include <limits>
#include <string_view>

namespace cria {

std::shared_ptr<const GrammarVocab> GrammarVocab::make(std::vector<std::string> pieces,
                                                       std::span<const int32_t> eog_ids) {
  auto v = std::make_shared<GrammarVocab>();
  v->eog.assign(pieces.size(), 0);
  for (int32_t id : eog_ids) {
    if (id >= 0 && static_cast<size_t>(id) < pieces.size()) v->eog[id] = 1;
  }
  v->pieces = std::move(pieces);
  for (int32_t t = 0; t < v->size(); ++t) {
    if (!v->eog[t] && !v->pieces[t].empty()) v->sorted.push_back(t);
  }
  std::sort(v->sorted.begin(), v->sorted.end(),
            [&](int32_t a, int32_t b) { return v->pieces[a] < v->pieces[b]; });
  v->shared.assign(v->sorted.size(), 0);
  for (size_t i = 1; i < v->sorted.size(); ++i) {
    const std::string& a = v->pieces[v->sorted[i - 1]];
    const std::string& b = v->pieces[v->sorted[i]];
    const auto diff = std::mismatch(a.begin(), a.end(), b.begin(), b.end());
    v->shared[i] = static_cast<uint32_t>(diff.first - a.begin());
  }
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
  constexpr float kOff = -std::numeric_limits<float>::infinity();
  const bool can_end = matcher_.can_end();
  int32_t kept = 0;
  for (int32_t t = 0; t < vocab_->size(); ++t) {  // the tokens the walk does not see
    if (vocab_->eog[t] && can_end) {
      ++kept;
    } else if (vocab_->eog[t] || vocab_->pieces[t].empty()) {
      logits[t] = kOff;
    }
  }
  matcher_.start_walk(walk_);
  std::string_view rejected;  // a prefix no allowed token starts with
  for (size_t i = 0; i < vocab_->sorted.size(); ++i) {
    const int32_t t = vocab_->sorted[i];
    const std::string_view piece = vocab_->pieces[t];
    if (!rejected.empty() && piece.starts_with(rejected)) {
      logits[t] = kOff;
      continue;
    }
    const size_t fed = matcher_.walk_to(walk_, piece, vocab_->shared[i]);
    if (fed == piece.size() && matcher_.walk_accepts(walk_)) {
      ++kept;
      continue;
    }
    logits[t] = kOff;
    if (fed < piece.size()) rejected = piece.substr(0, fed + 1);
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
