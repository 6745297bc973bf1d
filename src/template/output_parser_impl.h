// Internals of the output parsers (output_parser.h): scanning helpers and the parser kinds.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "template/output_parser.h"

namespace cria::tmpl::detail {

inline constexpr std::string_view kSpace = " \t\n\r\v\f";

// The length of the longest suffix of `text` that is a proper prefix of `tag` (text that may
// become the tag with the next piece).
size_t partial_tag(std::string_view text, std::string_view tag);
size_t partial_tags(std::string_view text, std::initializer_list<std::string_view> tags);

std::string_view trim_left(std::string_view s);
std::string_view trim_right(std::string_view s);
std::string_view trim(std::string_view s);

// The end (one past the closing bracket) of the JSON object or array that starts at text[0],
// npos while it is incomplete. Strings and escapes are skipped; the JSON is not validated.
size_t json_value_end(std::string_view text);

// A tool call from {"name", "arguments"|"parameters", "id"?} or {"function": {...}}; nullopt
// for any other JSON. Arguments given as a JSON string are parsed.
std::optional<ToolCall> call_from_json(const Json& j);
// Parses text as a call, or an array of calls; nullopt unless all of it is.
std::optional<std::vector<ToolCall>> calls_from_text(std::string_view text);

// Numbers calls in order and gives those without an id "call_" + 8 characters [a-z0-9].
class CallNumbering {
 public:
  explicit CallNumbering(uint64_t seed) : state_(seed) {}
  void add(ToolCall call, ParsedOutput& out);

 private:
  uint64_t state_;
  int next_index_ = 0;
};

// The content around tool calls: whitespace before a call and after one is dropped, so
// trailing whitespace is held back until something follows it (text: emitted with it;
// call_boundary: dropped). A malformed call's raw text goes through text(), so it comes out
// exactly as the model wrote it.
class ContentSink {
 public:
  void text(std::string_view s, ParsedOutput& out);
  void call_boundary() {
    held_.clear();
    skip_leading_ = true;
  }
  void finish(ParsedOutput& out);

 private:
  std::string held_;
  bool skip_leading_ = false;
};

// A parser over an accumulated buffer: push appends and drains what is certain.
class BufferedParser : public OutputParser {
 public:
  ParsedOutput push(std::string_view text) final;
  ParsedOutput finish() final;

 protected:
  virtual void drain(bool at_end, ParsedOutput& out) = 0;
  std::string buf_;
};

// Calls between an open and a close tag, decoded by `decode` (Hermes, DeepSeek); `ignore` tags
// are removed from the content.
struct TaggedCallSyntax {
  std::string open;
  std::string close;
  std::vector<std::string> ignore;
  std::function<std::optional<std::vector<ToolCall>>(std::string_view body)> decode;
};

std::unique_ptr<OutputParser> make_think_parser(const ParserOptions& o, bool emit);
std::unique_ptr<OutputParser> make_tagged_parser(TaggedCallSyntax syntax, uint64_t seed);
std::unique_ptr<OutputParser> make_llama_json_parser(uint64_t seed);
// Mistral and Granite: a tag, then a JSON array (or object) of calls; Mistral's newer
// name[ARGS]{...} form after the tag too.
std::unique_ptr<OutputParser> make_prefix_json_parser(std::string tag, uint64_t seed);
std::unique_ptr<OutputParser> make_harmony_parser(bool emit_thinking, uint64_t seed);

}  // namespace cria::tmpl::detail
