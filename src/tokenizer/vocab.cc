#include "tokenizer/vocab.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace cria::tokenizer {
namespace {

constexpr std::string_view kPrefix = "tokenizer.ggml.";

std::string key(std::string_view name) {
  return std::string(kPrefix) + std::string(name);
}

Error corrupt(const gguf::File& f, std::string msg) {
  return make_error(Errc::kCorrupt, f.path() + ": " + msg);
}

Status read_model(const gguf::File& f, Vocab& v) {
  auto model = f.get_string(key("model"));
  if (!model.ok()) return corrupt(f, "no tokenizer: " + model.error().message);
  if (*model == "llama") {
    v.model = Model::kSpm;
    v.bos = 1, v.eos = 2, v.unk = 0;
    v.add_bos = true, v.add_space_prefix = true;
  } else if (*model == "gpt2") {
    v.model = Model::kBpe;
    v.bos = 11, v.eos = 11;
    v.clean_spaces = true;
  } else if (*model == "bert") {
    v.model = Model::kWpm;
    v.bos = 101, v.unk = 100, v.sep = 102, v.pad = 0;
    v.add_bos = true, v.add_sep = true, v.clean_spaces = true;
  } else {
    return make_error(Errc::kUnsupported, f.path() + ": tokenizer model '" + std::string(*model) +
                                              "' is not supported");
  }
  if (f.find(key("pre"))) {
    auto pre = f.get_string(key("pre"));
    if (!pre.ok()) return corrupt(f, pre.error().message);
    v.pre = std::string(*pre);
  }
  return {};
}

Status read_tokens(const gguf::File& f, Vocab& v) {
  auto tokens = f.get_array(key("tokens"));
  if (!tokens.ok()) return corrupt(f, "no vocabulary: " + tokens.error().message);
  const gguf::Array& a = **tokens;
  if (a.type != gguf::ValueType::kString)
    return corrupt(f, key("tokens") + " is not a string array");
  if (a.count == 0 || a.count > INT32_MAX) return corrupt(f, key("tokens") + " has a bad size");
  const size_t n = a.strings.size();
  v.text.resize(n);
  v.index.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    std::string s(a.strings[i]);
    if (s.empty()) s = "[EMPTY_" + std::to_string(i) + "]";  // as llama.cpp
    v.max_token_len = std::max(v.max_token_len, s.size());
    v.index.insert_or_assign(s, static_cast<int32_t>(i));
    v.text[i] = std::move(s);
  }
  return {};
}

Status read_scores_and_types(const gguf::File& f, Vocab& v) {
  const size_t n = v.text.size();
  v.score.assign(n, 0.0f);
  v.type.assign(n, TokenType::kNormal);
  if (f.find(key("scores"))) {
    auto s = f.get_array(key("scores"));
    if (!s.ok()) return corrupt(f, s.error().message);
    const gguf::Array& a = **s;
    const bool is_f32 = a.type == gguf::ValueType::kFloat32;
    if (!is_f32 && a.type != gguf::ValueType::kInt32)
      return corrupt(f, key("scores") + " has a bad type");
    if (a.count < n) return corrupt(f, key("scores") + " has fewer entries than tokens");
    for (size_t i = 0; i < n; ++i) {
      v.score[i] = is_f32 ? a.at<float>(i) : static_cast<float>(a.at<int32_t>(i));
    }
  }
  if (f.find(key("token_type"))) {
    auto t = f.get_array(key("token_type"));
    if (!t.ok()) return corrupt(f, t.error().message);
    const gguf::Array& a = **t;
    if (a.type != gguf::ValueType::kInt32) return corrupt(f, key("token_type") + " is not int32");
    if (a.count < n) return corrupt(f, key("token_type") + " has fewer entries than tokens");
    for (size_t i = 0; i < n; ++i) {
      const int32_t t32 = a.at<int32_t>(i);
      v.type[i] = (t32 >= 1 && t32 <= 6) ? static_cast<TokenType>(t32) : TokenType::kUndefined;
    }
  }
  return {};
}

// An explicit id must name a token; a default that does not is dropped.
Status read_id(const gguf::File& f, Vocab& v, std::string_view name, int32_t& id) {
  if (!v.valid(id)) id = -1;
  if (!f.find(key(name))) return {};
  auto value = f.get_int(key(name));
  if (!value.ok()) return corrupt(f, value.error().message);
  if (*value == -1 || *value == UINT32_MAX) {  // written for "none"
    id = -1;
    return {};
  }
  if (*value < 0 || *value >= v.size()) {
    return corrupt(f, key(name) + " = " + std::to_string(*value) + " is outside the vocabulary (" +
                          std::to_string(v.size()) + " tokens)");
  }
  id = static_cast<int32_t>(*value);
  return {};
}

Status read_flag(const gguf::File& f, std::string_view name, bool& flag) {
  if (!f.find(key(name))) return {};
  auto value = f.get_bool(key(name));
  if (!value.ok()) return corrupt(f, value.error().message);
  flag = *value;
  return {};
}

Status read_specials(const gguf::File& f, Vocab& v) {
  if (v.model == Model::kWpm && !f.find(key("bos_token_id"))) {
    CRIA_RETURN_IF_ERROR(read_id(f, v, "cls_token_id", v.bos));
  }
  CRIA_RETURN_IF_ERROR(read_id(f, v, "bos_token_id", v.bos));
  CRIA_RETURN_IF_ERROR(read_id(f, v, "eos_token_id", v.eos));
  CRIA_RETURN_IF_ERROR(read_id(f, v, "eot_token_id", v.eot));
  CRIA_RETURN_IF_ERROR(read_id(f, v, "eom_token_id", v.eom));
  CRIA_RETURN_IF_ERROR(read_id(f, v, "unknown_token_id", v.unk));
  CRIA_RETURN_IF_ERROR(read_id(f, v, "seperator_token_id", v.sep));
  CRIA_RETURN_IF_ERROR(read_id(f, v, "padding_token_id", v.pad));
  CRIA_RETURN_IF_ERROR(read_flag(f, "add_bos_token", v.add_bos));
  CRIA_RETURN_IF_ERROR(read_flag(f, "add_eos_token", v.add_eos));
  CRIA_RETURN_IF_ERROR(read_flag(f, "add_sep_token", v.add_sep));
  CRIA_RETURN_IF_ERROR(read_flag(f, "add_space_prefix", v.add_space_prefix));
  CRIA_RETURN_IF_ERROR(read_flag(f, "normalizer.lowercase", v.lowercase));
  v.strip_accents = v.lowercase;
  CRIA_RETURN_IF_ERROR(read_flag(f, "normalizer.strip_accents", v.strip_accents));
  return {};
}

// Texts that end a turn, as llama.cpp recognises them (the GGUF has no flag).
constexpr std::array<std::string_view, 16> kEogTexts = {
    "<|eot_id|>",      "<|im_end|>", "<|end|>", "<end_of_turn>",         "<|endoftext|>",
    "<|eom_id|>",      "<EOT>",      "_<EOT>",  "<|end_of_text|>",       "<end_of_utterance>",
    "<|return|>",      "<|call|>",   "[EOT]",   "<｜end▁of▁sentence｜>", "<turn|>",
    "<|tool_response>"};

void index_specials(Vocab& v) {
  for (std::string_view t : kEogTexts) {
    const int32_t id = v.find(t);
    if (id >= 0) {
      v.eog.push_back(id);
      if (v.type[id] == TokenType::kNormal) v.type[id] = TokenType::kControl;
    }
  }
  for (int32_t id : {v.eos, v.eot, v.eom}) {
    if (id >= 0) v.eog.push_back(id);
  }
  std::sort(v.eog.begin(), v.eog.end());
  v.eog.erase(std::unique(v.eog.begin(), v.eog.end()), v.eog.end());
  for (int32_t id = 0; id < v.size(); ++id) {
    const TokenType t = v.type[id];
    if (t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown) {
      v.special.push_back(id);
    }
  }
  std::stable_sort(v.special.begin(), v.special.end(),
                   [&](int32_t a, int32_t b) { return v.text[a].size() > v.text[b].size(); });
}

// llama.cpp marks the special tokens of models named Phi-3 (general.name) RSTRIP, except
// <unk>, <s> and <|endoftext|>, so that the newline after "<|user|>", "<|end|>", ... in the
// chat template is not tokenized.
void mark_rstrip(const gguf::File& f, Vocab& v) {
  auto name = f.get_string("general.name");
  if (!name.ok()) return;
  std::string lower(*name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower.find("phi-3") == std::string::npos && lower.find("phi3") == std::string::npos) return;
  v.rstrip.assign(static_cast<size_t>(v.size()), 0);
  for (int32_t id : v.special) v.rstrip[static_cast<size_t>(id)] = 1;
  if (const int32_t id = v.find("</s>"); id >= 0) v.rstrip[static_cast<size_t>(id)] = 1;
  for (std::string_view t : {"<unk>", "<s>", "<|endoftext|>"}) {
    if (const int32_t id = v.find(t); id >= 0) v.rstrip[static_cast<size_t>(id)] = 0;
  }
}

}  // namespace

Result<Vocab> load_vocab(const gguf::File& file) {
  Vocab v;
  CRIA_RETURN_IF_ERROR(read_model(file, v));
  CRIA_RETURN_IF_ERROR(read_tokens(file, v));
  CRIA_RETURN_IF_ERROR(read_scores_and_types(file, v));
  CRIA_RETURN_IF_ERROR(read_specials(file, v));
  index_specials(v);
  mark_rstrip(file, v);
  return v;
}

}  // namespace cria::tokenizer
