#include <queue>

#include "tokenizer/models.h"
#include "tokenizer/unicode.h"

namespace cria::tokenizer {
namespace {

// GPT-2 keeps printable Latin-1 bytes as themselves and moves the rest
// (controls, space, 0x7F-0xA0, 0xAD) to U+0100 onwards, in byte order.
bool is_kept_byte(int b) {
  return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

struct ByteMap {
  std::array<uint32_t, 256> cp{};
  std::array<int16_t, 512> byte{};
  ByteMap() {
    byte.fill(-1);
    uint32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      cp[b] = is_kept_byte(b) ? static_cast<uint32_t>(b) : next++;
      byte[cp[b]] = static_cast<int16_t>(b);
    }
  }
};

const ByteMap& byte_map() {
  static const ByteMap map;
  return map;
}

uint64_t pair_key(int32_t l, int32_t r) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(l)) << 32) | static_cast<uint32_t>(r);
}

struct Bigram {
  int32_t rank;
  int32_t left, right;
  int32_t left_id, right_id;
};

// Lowest rank first; on a tie, the leftmost pair.
struct ByRank {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

uint32_t byte_to_codepoint(uint8_t b) {
  return byte_map().cp[b];
}

int byte_from_codepoint(uint32_t cp) {
  return cp < 512 ? byte_map().byte[cp] : -1;
}

Result<BpeModel> BpeModel::create(const gguf::File& file, const Vocab& v,
                                  const PreTokenizerSpec& spec) {
  CRIA_ASSIGN_OR_RETURN(RegexSplitter splitter, RegexSplitter::compile(spec.regexes));
  BpeModel m(std::move(splitter));
  m.ignore_merges_ = spec.ignore_merges;
  for (int b = 0; b < 256; ++b) {
    std::string s;
    utf8_append(s, byte_to_codepoint(static_cast<uint8_t>(b)));
    m.byte_token_[b] = v.find(s);
  }
  CRIA_RETURN_IF_ERROR(m.load_merges(file, v));
  return m;
}

// Each merge "a b" must name two tokens. A merge whose result is not a token
// could never be emitted and is dropped.
Status BpeModel::load_merges(const gguf::File& file, const Vocab& v) {
  const std::string key = "tokenizer.ggml.merges";
  auto merges = file.get_array(key);
  if (!merges.ok())
    return make_error(Errc::kCorrupt,
                      file.path() + ": BPE vocabulary without merges: " + merges.error().message);
  const gguf::Array& a = **merges;
  if (a.type != gguf::ValueType::kString)
    return make_error(Errc::kCorrupt, file.path() + ": " + key + " is not a string array");
  merges_.reserve(a.strings.size());
  std::string joined;
  for (size_t i = 0; i < a.strings.size(); ++i) {
    const std::string_view line = a.strings[i];
    const size_t space = line.size() > 1 ? line.find(' ', 1) : std::string_view::npos;
    const int32_t l = space == std::string_view::npos ? -1 : v.find(line.substr(0, space));
    const int32_t r = space == std::string_view::npos ? -1 : v.find(line.substr(space + 1));
    if (l < 0 || r < 0) {
      return make_error(Errc::kCorrupt, file.path() + ": " + key + "[" + std::to_string(i) +
                                            "] = '" + std::string(line) +
                                            "' does not name two tokens of the vocabulary");
    }
    joined.assign(line.substr(0, space)).append(line.substr(space + 1));
    const int32_t result = v.find(joined);
    if (result < 0) continue;
    merges_.try_emplace(pair_key(l, r), Merge{static_cast<int32_t>(i), result});
  }
  return {};
}

const BpeModel::Merge* BpeModel::find_merge(int32_t left, int32_t right) const {
  if (left < 0 || right < 0) return nullptr;
  auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::encode(const Vocab& v, std::string_view text, std::vector<int32_t>& out) const {
  std::vector<std::pair<size_t, size_t>> words;
  splitter_.split(text, words);
  std::vector<Symbol> syms;
  for (const auto& [b, e] : words) encode_word(v, text.substr(b, e - b), syms, out);
}

void BpeModel::encode_word(const Vocab& v, std::string_view word, std::vector<Symbol>& syms,
                           std::vector<int32_t>& out) const {
  if (ignore_merges_) {
    std::string encoded;
    for (char c : word) utf8_append(encoded, byte_to_codepoint(static_cast<uint8_t>(c)));
    if (const int32_t id = v.find(encoded); id >= 0) {
      out.push_back(id);
      return;
    }
  }
  syms.clear();
  const auto n = static_cast<int32_t>(word.size());
  for (int32_t i = 0; i < n; ++i) {
    syms.push_back(
        Symbol{byte_token_[static_cast<uint8_t>(word[i])], i - 1, i + 1 < n ? i + 1 : -1});
  }
  std::priority_queue<Bigram, std::vector<Bigram>, ByRank> q;
  auto try_pair = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    if (const Merge* m = find_merge(syms[l].id, syms[r].id)) {
      q.push(Bigram{m->rank, l, r, syms[l].id, syms[r].id});
    }
  };
  for (int32_t i = 1; i < n; ++i) try_pair(i - 1, i);
  while (!q.empty()) {
    const Bigram b = q.top();
    q.pop();
    Symbol& l = syms[b.left];
    Symbol& r = syms[b.right];
    if (l.id != b.left_id || r.id != b.right_id || l.next != b.right) continue;  // stale
    l.id = find_merge(l.id, r.id)->result;
    r.id = -2;  // merged away
    l.next = r.next;
    if (r.next >= 0) syms[r.next].prev = b.left;
    try_pair(l.prev, b.left);
    try_pair(b.left, l.next);
  }
  for (int32_t i = n > 0 ? 0 : -1; i != -1; i = syms[i].next) {
    if (syms[i].id >= 0)
      out.push_back(syms[i].id);  // a byte with no token is dropped, as llama.cpp
  }
}

}  // namespace cria::tokenizer
