// gpt-oss (harmony) output: messages of the form
//   [<|start|>assistant][ to=RECIPIENT]<|channel|>CHANNEL[ to=RECIPIENT][ <|constrain|>json]
//   <|message|>BODY(<|end|> | <|call|> | <|return|>)
// The analysis channel is thinking, final (and commentary without a recipient) is content, a
// message to functions.NAME is a call of NAME with BODY as its JSON arguments. The prompt ends
// with "<|start|>assistant", so the output starts with the header's rest.
#include "template/output_parser_impl.h"

namespace cria::tmpl::detail {
namespace {

constexpr size_t npos = std::string::npos;
constexpr std::string_view kMessage = "<|message|>";
constexpr std::string_view kChannel = "<|channel|>";
constexpr std::string_view kEnd = "<|end|>", kCall = "<|call|>", kReturn = "<|return|>",
                           kStart = "<|start|>";

// The word after `key` in a header, up to a space or the next special token.
std::string header_field(std::string_view header, std::string_view key) {
  size_t at = header.find(key);
  if (at == npos) return "";
  std::string_view rest = header.substr(at + key.size());
  return std::string(rest.substr(0, rest.find_first_of(" <")));
}

class HarmonyParser final : public BufferedParser {
 public:
  HarmonyParser(bool emit_thinking, uint64_t seed)
      : emit_thinking_(emit_thinking), numbering_(seed) {}

 private:
  enum class State { kHeader, kBody, kPlain };
  enum class Kind { kThinking, kContent, kTool };

  void drain(bool at_end, ParsedOutput& out) override {
    bool progress = true;
    while (progress && !buf_.empty()) {
      switch (state_) {
        case State::kHeader:
          progress = header();
          break;
        case State::kBody:
          progress = body(at_end, out);
          break;
        case State::kPlain:
          out.content += buf_;
          buf_.clear();
          break;
      }
    }
    if (!at_end) return;
    if (state_ == State::kBody) {
      end_body(buf_, out);
      buf_.clear();
    }
    // A header never finished: text without special tokens is the model answering plainly.
    if (state_ == State::kHeader && buf_.find("<|") == npos) out.content += buf_;
  }

  bool header() {
    size_t at = buf_.find(kMessage);
    if (at == npos) {
      std::string_view rest = trim_left(buf_);
      bool maybe_header = rest.empty() || rest.starts_with("<|") || rest.starts_with("to=") ||
                          std::string_view("<|").starts_with(rest) ||
                          std::string_view("to=").starts_with(rest);
      if (!maybe_header) state_ = State::kPlain;
      return !maybe_header;
    }
    std::string_view h = std::string_view(buf_).substr(0, at);
    std::string channel = header_field(h, kChannel);
    std::string recipient = header_field(h, "to=");
    if (!recipient.empty() && recipient != "assistant") {
      kind_ = Kind::kTool;
      name_ = recipient.starts_with("functions.") ? recipient.substr(10) : recipient;
    } else {
      kind_ = channel == "analysis" ? Kind::kThinking : Kind::kContent;
    }
    buf_.erase(0, at + kMessage.size());
    state_ = State::kBody;
    return true;
  }

  // Streams thinking and content; a call's body waits for its end.
  bool body(bool at_end, ParsedOutput& out) {
    size_t end = npos, skip = 0;
    for (auto t : {kEnd, kCall, kReturn, kStart, kChannel}) {
      size_t at = buf_.find(t);
      // An end tag is consumed; a new header's start is left for header().
      if (at < end) end = at, skip = (t == kStart || t == kChannel) ? 0 : t.size();
    }
    if (end == npos) {
      if (kind_ == Kind::kTool || at_end) return false;
      size_t emit = buf_.size() - partial_tags(buf_, {kEnd, kCall, kReturn, kStart, kChannel});
      text(std::string_view(buf_).substr(0, emit), out);
      buf_.erase(0, emit);
      return false;
    }
    end_body(std::string_view(buf_).substr(0, end), out);
    buf_.erase(0, end + skip);
    return true;
  }

  void text(std::string_view s, ParsedOutput& out) {
    if (kind_ == Kind::kContent) out.content += s;
    if (kind_ == Kind::kThinking && emit_thinking_) out.thinking += s;
  }

  void end_body(std::string_view s, ParsedOutput& out) {
    state_ = State::kHeader;
    if (kind_ != Kind::kTool) return text(s, out);
    Json args = Json::parse(trim(s), nullptr, false);
    if (args.is_object()) {
      ToolCall c;
      c.name = name_;
      c.arguments = std::move(args);
      numbering_.add(std::move(c), out);
    } else {
      out.content += s;  // not JSON arguments: what the model said, as content
    }
  }

  bool emit_thinking_;
  CallNumbering numbering_;
  State state_ = State::kHeader;
  Kind kind_ = Kind::kContent;
  std::string name_;
};

}  // namespace

std::unique_ptr<OutputParser> make_harmony_parser(bool emit_thinking, uint64_t seed) {
  return std::make_unique<HarmonyParser>(emit_thinking, seed);
}

}  // namespace cria::tmpl::detail
