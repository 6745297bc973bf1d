// <think>...</think> at the start of the answer (Qwen 3, DeepSeek R1, SmolLM 3), as Ollama's
// thinking/parser.go: leading whitespace before <think> is skipped; an answer that does not
// start with it has no thinking.
#include "template/output_parser_impl.h"

namespace cria::tmpl::detail {
namespace {

constexpr std::string_view kOpen = "<think>";
constexpr std::string_view kClose = "</think>";

class ThinkParser final : public BufferedParser {
 public:
  ThinkParser(bool starts_in_thinking, bool emit)
      : state_(starts_in_thinking ? State::kThinkStart : State::kLookForOpen), emit_(emit) {}

 private:
  enum class State { kLookForOpen, kThinkStart, kThinking, kContentStart, kContent };

  void drain(bool at_end, ParsedOutput& out) override {
    State before;
    do {
      before = state_;
      step(at_end, out);
    } while (state_ != before && !buf_.empty());
    if (at_end && state_ != State::kThinking) out.content += buf_;
  }

  void step(bool at_end, ParsedOutput& out) {
    switch (state_) {
      case State::kLookForOpen:
        return look_for_open(at_end);
      case State::kThinkStart:
      case State::kContentStart:
        return skip_space();
      case State::kThinking:
        return think(at_end, out);
      case State::kContent:
        out.content += buf_;
        buf_.clear();
        return;
    }
  }

  void look_for_open(bool at_end) {
    std::string_view rest = trim_left(buf_);
    if (rest.starts_with(kOpen)) {
      buf_.erase(0, buf_.size() - rest.size() + kOpen.size());
      state_ = State::kThinkStart;
    } else if (at_end || !kOpen.starts_with(rest)) {
      state_ = State::kContent;  // buf_ (leading whitespace included) is content
    }
  }

  void skip_space() {
    std::string_view rest = trim_left(buf_);
    buf_.erase(0, buf_.size() - rest.size());
    if (!buf_.empty()) state_ = state_ == State::kThinkStart ? State::kThinking : State::kContent;
  }

  // Thinking text streams out, holding back trailing whitespace and what may be "</think>".
  void think(bool at_end, ParsedOutput& out) {
    size_t close = buf_.find(kClose);
    size_t end = close != std::string::npos ? close
                 : at_end                   ? buf_.size()
                                            : buf_.size() - partial_tag(buf_, kClose);
    size_t keep = trim_right(std::string_view(buf_).substr(0, end)).size();
    if (close == std::string::npos && !at_end) end = keep;
    if (emit_) out.thinking.append(buf_, 0, keep);
    if (close != std::string::npos) {
      buf_.erase(0, close + kClose.size());
      state_ = State::kContentStart;
    } else {
      buf_.erase(0, at_end ? buf_.size() : end);
    }
  }

  State state_;
  bool emit_;
};

}  // namespace

std::unique_ptr<OutputParser> make_think_parser(const ParserOptions& o, bool emit) {
  return std::make_unique<ThinkParser>(o.starts_in_thinking, emit);
}

}  // namespace cria::tmpl::detail
