// Tool-call parsers: tagged calls (Hermes/Qwen, DeepSeek), Llama 3.1 JSON answers, and a tag
// followed by a JSON list (Mistral, Granite).
#include <algorithm>

#include "template/output_parser_impl.h"

namespace cria::tmpl::detail {
namespace {

constexpr size_t npos = std::string::npos;

// Calls between open and close tags; content streams around them.
class TaggedParser final : public BufferedParser {
 public:
  TaggedParser(TaggedCallSyntax syntax, uint64_t seed)
      : syntax_(std::move(syntax)), numbering_(seed) {}

 private:
  void drain(bool at_end, ParsedOutput& out) override {
    bool progress = true;
    while (progress) progress = in_call_ ? call(out) : content(out);
    if (!at_end) return;
    if (in_call_) end_call(buf_, false, out);
    content_.text(buf_, out);
    buf_.clear();
    content_.finish(out);
  }

  // The earliest tag in buf_ (the call's open tag or an ignored one).
  std::pair<size_t, const std::string*> next_tag() const {
    std::pair<size_t, const std::string*> best{npos, nullptr};
    auto consider = [&](const std::string& tag) {
      size_t at = buf_.find(tag);
      if (at < best.first) best = {at, &tag};
    };
    consider(syntax_.open);
    for (const auto& t : syntax_.ignore) consider(t);
    return best;
  }

  size_t held_back() const {
    size_t most = partial_tag(buf_, syntax_.open);
    for (const auto& t : syntax_.ignore) most = std::max(most, partial_tag(buf_, t));
    return most;
  }

  bool content(ParsedOutput& out) {
    auto [at, tag] = next_tag();
    if (tag == nullptr) {
      size_t emit = buf_.size() - held_back();
      content_.text(std::string_view(buf_).substr(0, emit), out);
      buf_.erase(0, emit);
      return false;
    }
    content_.text(std::string_view(buf_).substr(0, at), out);
    in_call_ = tag == &syntax_.open;
    if (!in_call_) content_.call_boundary();  // (a call's own boundary waits for its body)
    buf_.erase(0, at + tag->size());
    return true;
  }

  bool call(ParsedOutput& out) {
    size_t close = buf_.find(syntax_.close);
    if (close == npos) return false;
    end_call(std::string_view(buf_).substr(0, close), true, out);
    buf_.erase(0, close + syntax_.close.size());
    return true;
  }

  // A call's body: its calls, or (malformed) the raw text as content.
  void end_call(std::string_view body, bool closed, ParsedOutput& out) {
    in_call_ = false;
    if (auto calls = syntax_.decode(body)) {
      for (auto& c : *calls) numbering_.add(std::move(c), out);
      content_.call_boundary();
    } else {
      std::string raw = syntax_.open + std::string(body) + (closed ? syntax_.close : "");
      content_.text(raw, out);
    }
    if (!closed) buf_.clear();
  }

  TaggedCallSyntax syntax_;
  CallNumbering numbering_;
  ContentSink content_;
  bool in_call_ = false;
};

// Llama 3.1/3.2: the answer is one or more JSON calls (maybe after <|python_tag|>, separated by
// ';' or whitespace); an answer that starts otherwise is content.
class LlamaJsonParser final : public BufferedParser {
 public:
  explicit LlamaJsonParser(uint64_t seed) : numbering_(seed) {}

 private:
  static constexpr std::string_view kTag = "<|python_tag|>";
  enum class State { kStart, kJson, kContent };

  void drain(bool at_end, ParsedOutput& out) override {
    bool progress = true;
    while (progress && !buf_.empty()) {
      switch (state_) {
        case State::kStart:
          progress = start(at_end);
          break;
        case State::kJson:
          progress = json(at_end, out);
          break;
        case State::kContent:
          content_.text(buf_, out);
          buf_.clear();
          progress = false;
          break;
      }
    }
    if (at_end) content_.finish(out);
  }

  bool start(bool at_end) {
    size_t i = buf_.find_first_not_of(calls_ ? " \t\n\r\v\f;" : kSpace);
    if (i == npos) return false;
    std::string_view rest = std::string_view(buf_).substr(i);
    if (rest.starts_with(kTag)) {
      buf_.erase(i, kTag.size());
      return true;
    }
    if (!at_end && kTag.starts_with(rest)) return false;
    state_ = rest[0] == '{' ? State::kJson : State::kContent;
    if (calls_) buf_.erase(0, i);
    return true;
  }

  bool json(bool at_end, ParsedOutput& out) {
    size_t begin = buf_.find('{');
    size_t end = json_value_end(std::string_view(buf_).substr(begin));
    if (end == npos && !at_end) return false;
    if (end != npos) {
      auto calls = calls_from_text(std::string_view(buf_).substr(begin, end));
      if (calls) {
        for (auto& c : *calls) numbering_.add(std::move(c), out);
        content_.call_boundary();
        buf_.erase(0, begin + end);
        calls_ = true;
        state_ = State::kStart;
        return true;
      }
    }
    state_ = State::kContent;
    return true;
  }

  CallNumbering numbering_;
  ContentSink content_;
  State state_ = State::kStart;
  bool calls_ = false;
};

// A tag, then [{"name", "arguments", "id"?}, ...] (Mistral Nemo, Granite), or Mistral's newer
// name[ARGS]{...} / name[CALL_ID]id[ARGS]{...}.
class PrefixJsonParser final : public BufferedParser {
 public:
  PrefixJsonParser(std::string tag, uint64_t seed) : tag_(std::move(tag)), numbering_(seed) {}

 private:
  void drain(bool at_end, ParsedOutput& out) override {
    bool progress = true;
    while (progress) progress = in_call_ ? call(at_end, out) : content(out);
    if (!at_end) return;
    content_.text(buf_, out);
    buf_.clear();
    content_.finish(out);
  }

  bool content(ParsedOutput& out) {
    size_t at = buf_.find(tag_);
    if (at == npos) {
      size_t emit = buf_.size() - partial_tag(buf_, tag_);
      content_.text(std::string_view(buf_).substr(0, emit), out);
      buf_.erase(0, emit);
      return false;
    }
    content_.text(std::string_view(buf_).substr(0, at), out);
    buf_.erase(0, at + tag_.size());
    in_call_ = true;
    return true;
  }

  bool call(bool at_end, ParsedOutput& out) {
    size_t begin = buf_.find_first_not_of(kSpace);
    if (begin == npos) return at_end ? malformed(out) : false;
    size_t end = npos;
    std::optional<std::vector<ToolCall>> calls;
    if (buf_[begin] == '[' || buf_[begin] == '{') {
      end = json_value_end(std::string_view(buf_).substr(begin));
      if (end != npos) calls = calls_from_text(std::string_view(buf_).substr(begin, end));
      if (end != npos) end += begin;
    } else {
      calls = named_call(&end);
    }
    if (end == npos) return at_end ? malformed(out) : false;
    if (!calls) return malformed(out, end);
    for (auto& c : *calls) numbering_.add(std::move(c), out);
    content_.call_boundary();
    buf_.erase(0, end);
    in_call_ = false;
    return true;
  }

  // name[ARGS]{...} or name[CALL_ID]id[ARGS]{...}; *end = npos while incomplete.
  std::optional<std::vector<ToolCall>> named_call(size_t* end) {
    constexpr std::string_view kArgs = "[ARGS]", kId = "[CALL_ID]";
    size_t args = buf_.find(kArgs);
    if (args == npos) return std::nullopt;
    size_t json_at = args + kArgs.size();
    size_t len = json_value_end(std::string_view(buf_).substr(json_at));
    if (len == npos) return std::nullopt;
    *end = json_at + len;
    ToolCall c;
    std::string_view head = std::string_view(buf_).substr(0, args);
    size_t id = head.find(kId);
    c.name = std::string(trim(head.substr(0, id)));
    if (id != npos) c.id = std::string(trim(head.substr(id + kId.size())));
    Json j = Json::parse(std::string_view(buf_).substr(json_at, len), nullptr, false);
    if (c.name.empty() || !j.is_object()) return std::nullopt;
    c.arguments = std::move(j);
    return std::vector<ToolCall>{std::move(c)};
  }

  // The tag and what follows it (up to `end`, else all) are content.
  bool malformed(ParsedOutput& out, size_t end = npos) {
    end = std::min(end, buf_.size());
    content_.text(tag_ + buf_.substr(0, end), out);
    buf_.erase(0, end);
    in_call_ = false;
    return !buf_.empty();
  }

  std::string tag_;
  CallNumbering numbering_;
  ContentSink content_;
  bool in_call_ = false;
};

}  // namespace

std::unique_ptr<OutputParser> make_tagged_parser(TaggedCallSyntax syntax, uint64_t seed) {
  return std::make_unique<TaggedParser>(std::move(syntax), seed);
}

std::unique_ptr<OutputParser> make_llama_json_parser(uint64_t seed) {
  return std::make_unique<LlamaJsonParser>(seed);
}

std::unique_ptr<OutputParser> make_prefix_json_parser(std::string tag, uint64_t seed) {
  return std::make_unique<PrefixJsonParser>(std::move(tag), seed);
}

}  // namespace cria::tmpl::detail
