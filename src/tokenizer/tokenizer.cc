#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "tokenizer/detokenize.h"
#include "tokenizer/models.h"
#include "tokenizer/unicode.h"
#include "tokenizer/vocab.h"

namespace cria::tokenizer {

struct Tokenizer::Impl {
  Vocab v;
  std::optional<BpeModel> bpe;
  std::vector<std::string> pieces;
};

namespace {

// A run of text, or a special token cut out of it.
struct Fragment {
  int32_t id;  // -1: text[begin, end)
  size_t begin, end;
};

// Cuts special tokens out of the text, longest first (llama.cpp's
// tokenizer_st_partition). Control and unknown tokens only with parse_special.
void partition(const Vocab& v, std::string_view text, bool parse_special,
               std::vector<Fragment>& frags) {
  frags.clear();
  if (!text.empty()) frags.push_back(Fragment{-1, 0, text.size()});
  std::vector<Fragment> next;
  for (const int32_t id : v.special) {
    const TokenType type = v.type[id];
    if (!parse_special && (type == TokenType::kControl || type == TokenType::kUnknown)) continue;
    const std::string& t = v.text[id];
    bool found = false;
    next.clear();
    for (const Fragment& f : frags) {
      if (f.id >= 0) {
        next.push_back(f);
        continue;
      }
      size_t pos = f.begin;
      for (size_t hit; (hit = text.substr(0, f.end).find(t, pos)) != std::string_view::npos;) {
        if (hit > pos) next.push_back(Fragment{-1, pos, hit});
        next.push_back(Fragment{id, hit, hit + t.size()});
        pos = hit + t.size();
        if (!v.rstrip.empty() && v.rstrip[static_cast<size_t>(id)] != 0) {
          while (pos < f.end && std::isspace(static_cast<unsigned char>(text[pos])) != 0) ++pos;
        }
        found = true;
      }
      if (pos < f.end) next.push_back(Fragment{-1, pos, f.end});
    }
    if (found) frags.swap(next);
  }
}

void encode_spm(const Vocab& v, std::string_view text, const std::vector<Fragment>& frags,
                std::vector<int32_t>& out) {
  bool prev_special = true;  // the first piece gets the space prefix too
  std::string piece;
  for (const Fragment& f : frags) {
    if (f.id >= 0) {
      out.push_back(f.id);
      prev_special = true;
      continue;
    }
    piece.clear();
    if (v.add_space_prefix && prev_special) piece = "\xE2\x96\x81";
    for (char c : text.substr(f.begin, f.end - f.begin)) {
      if (c == ' ') {
        piece += "\xE2\x96\x81";
      } else {
        piece += c;
      }
    }
    spm_encode(v, piece, out);
    prev_special = false;
  }
}

Result<std::unique_ptr<Tokenizer::Impl>> build(const gguf::File& file) {
  auto impl = std::make_unique<Tokenizer::Impl>();
  CRIA_ASSIGN_OR_RETURN(impl->v, load_vocab(file));
  Vocab& v = impl->v;
  if (v.model == Model::kBpe) {
    const PreTokenizerSpec* spec = find_pre_tokenizer(v.pre);
    if (spec == nullptr) {
      return make_error(
          Errc::kUnsupported,
          file.path() + ": unknown pre-tokenizer tokenizer.ggml.pre = '" + v.pre + "'");
    }
    v.clean_spaces = spec->clean_spaces;
    if (spec->add_bos && !file.find("tokenizer.ggml.add_bos_token")) v.add_bos = true;
    CRIA_ASSIGN_OR_RETURN(BpeModel bpe, BpeModel::create(file, v, *spec));
    impl->bpe.emplace(std::move(bpe));
  }
  impl->pieces = build_pieces(v);
  return impl;
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Result<Tokenizer> Tokenizer::from_gguf(const gguf::File& file) {
  CRIA_ASSIGN_OR_RETURN(auto impl, build(file));
  return Tokenizer(std::move(impl));
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& opts) const {
  std::vector<int32_t> out;
  encode(text, opts, out);
  return out;
}

void Tokenizer::encode(std::string_view text, const EncodeOptions& opts,
                       std::vector<int32_t>& out) const {
  const Vocab& v = impl_->v;
  const bool wpm = v.model == Model::kWpm;
  const int32_t bos = v.bos;
  const int32_t eos = wpm ? v.sep : v.eos;
  const bool add_bos = opts.add_special && opts.add_bos.value_or(v.add_bos) && bos >= 0;
  const bool add_eos =
      opts.add_special && opts.add_eos.value_or(wpm ? v.add_sep : v.add_eos) && eos >= 0;
  std::vector<Fragment> frags;
  partition(v, text, opts.parse_special, frags);
  if (add_bos) out.push_back(bos);
  if (v.model == Model::kSpm) {
    encode_spm(v, text, frags, out);
  } else {
    std::string clean;
    for (const Fragment& f : frags) {
      if (f.id >= 0) {
        out.push_back(f.id);
        continue;
      }
      utf8_sanitize(text.substr(f.begin, f.end - f.begin), clean);
      if (wpm) {
        wpm_encode(v, clean, out);
      } else {
        impl_->bpe->encode(v, clean, out);
      }
    }
  }
  if (add_eos) out.push_back(eos);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, const DecodeOptions& opts) const {
  const Vocab& v = impl_->v;
  std::string out;
  bool strip = opts.strip_leading_space && v.add_space_prefix;
  for (const int32_t id : ids) {
    if (!v.valid(id)) continue;
    std::string_view piece = impl_->pieces[id];
    if (!opts.render_special &&
        (v.type[id] == TokenType::kControl || v.type[id] == TokenType::kUnknown)) {
      piece = {};
    }
    if (strip && !piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    strip = false;
    out.append(piece);
  }
  if (opts.clean_spaces && v.clean_spaces) clean_up_spaces(out);
  return out;
}

const std::string& Tokenizer::token_to_piece(int32_t id) const {
  static const std::string kEmpty;
  return impl_->v.valid(id) ? impl_->pieces[id] : kEmpty;
}

int32_t Tokenizer::n_vocab() const {
  return impl_->v.size();
}
Model Tokenizer::model() const {
  return impl_->v.model;
}
std::string_view Tokenizer::pre() const {
  return impl_->v.pre;
}
std::string_view Tokenizer::token_text(int32_t id) const {
  return impl_->v.valid(id) ? std::string_view(impl_->v.text[id]) : std::string_view();
}
TokenType Tokenizer::token_type(int32_t id) const {
  return impl_->v.valid(id) ? impl_->v.type[id] : TokenType::kUndefined;
}
float Tokenizer::token_score(int32_t id) const {
  return impl_->v.valid(id) ? impl_->v.score[id] : 0.0f;
}
std::optional<int32_t> Tokenizer::find_token(std::string_view text) const {
  const int32_t id = impl_->v.find(text);
  return id >= 0 ? std::optional<int32_t>(id) : std::nullopt;
}
int32_t Tokenizer::bos() const {
  return impl_->v.bos;
}
int32_t Tokenizer::eos() const {
  return impl_->v.eos;
}
int32_t Tokenizer::unk() const {
  return impl_->v.unk;
}
int32_t Tokenizer::pad() const {
  return impl_->v.pad;
}
int32_t Tokenizer::sep() const {
  return impl_->v.sep;
}
bool Tokenizer::add_bos() const {
  return impl_->v.add_bos;
}
bool Tokenizer::add_eos() const {
  return impl_->v.add_eos;
}
bool Tokenizer::add_space_prefix() const {
  return impl_->v.add_space_prefix;
}
bool Tokenizer::is_eog(int32_t id) const {
  return std::binary_search(impl_->v.eog.begin(), impl_->v.eog.end(), id);
}
bool Tokenizer::is_control(int32_t id) const {
  return token_type(id) == TokenType::kControl;
}

std::string StreamDecoder::push(int32_t id) {
  std::string_view piece = tok_->token_to_piece(id);
  if (!opts_.render_special && (tok_->token_type(id) == TokenType::kControl ||
                                tok_->token_type(id) == TokenType::kUnknown)) {
    piece = {};
  }
  if (first_ && opts_.strip_leading_space && tok_->add_space_prefix() && !piece.empty() &&
      piece.front() == ' ') {
    piece.remove_prefix(1);
  }
  first_ = false;
  pending_.append(piece);
  const size_t n = utf8_complete_prefix(pending_);
  std::string out;
  utf8_sanitize(std::string_view(pending_).substr(0, n), out);
  pending_.erase(0, n);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out;
  utf8_sanitize(pending_, out);
  reset();
  return out;
}

void StreamDecoder::reset() {
  pending_.clear();
  first_ = true;
}

}  // namespace cria::tokenizer
