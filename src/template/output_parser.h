// Streaming parsers of model output: thinking text and tool calls taken out of the content, in
// each model family's own syntax (Ollama's model/parsers, thinking/, tools/ and harmony/).
//
// A parser is fed the generated text piece by piece (push) and returns what is now certain;
// text that may be the start of a tag is held back until the next piece decides it, so feeding
// a text whole or one byte at a time gives the same concatenated result. finish() flushes.
//
// Rules shared by the tool-call parsers:
//  - whitespace right before a tool call and right after one is dropped from the content;
//  - a call whose JSON does not parse (or is not {"name", "arguments"|"parameters"}) is kept
//    as content, tags included, so nothing the model said is lost;
//  - an unterminated call at finish() (generation stopped before the closing tag) is a call when
//    its JSON is complete and valid, otherwise content;
//  - calls are numbered from 0 in order; a call without an id gets "call_" + 8 random
//    characters [a-z0-9], as Ollama does.
// Thinking: text inside <think>...</think> at the start of the answer (leading and trailing
// whitespace trimmed, and the whitespace after </think>); with think=false it is dropped.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "template/chat.h"

namespace cria::tmpl {

// What one push (or finish) made certain.
struct ParsedOutput {
  std::string content;
  std::string thinking;
  std::vector<ToolCall> tool_calls;

  bool empty() const { return content.empty() && thinking.empty() && tool_calls.empty(); }
  void append(ParsedOutput&& more);
};

class OutputParser {
 public:
  virtual ~OutputParser() = default;
  virtual ParsedOutput push(std::string_view text) = 0;
  // The rest, at the end of the generation. The parser is not used afterwards.
  virtual ParsedOutput finish() = 0;
};

enum class ToolSyntax {
  kNone,
  kHermes,     // <tool_call>\n{"name": .., "arguments": {..}}\n</tool_call> (Qwen, SmolLM3)
  kLlamaJson,  // the answer is {"name": .., "parameters": {..}}, maybe after <|python_tag|>
  kMistral,    // [TOOL_CALLS][{"name", "arguments", "id"}, ...] or [TOOL_CALLS]name[ARGS]{..}
  kGranite,    // <|tool_call|>[{"name", "arguments"}, ...]
  kDeepseek,  // <｜tool▁call▁begin｜>function<｜tool▁sep｜>name\n```json\n{..}\n```<｜tool▁call▁end｜>
  kHarmony,   // gpt-oss channels: analysis (thinking), final, commentary to=functions.NAME
};

struct OutputSyntax {
  ToolSyntax tools = ToolSyntax::kNone;
  bool think_tags = false;  // <think>...</think>

  bool operator==(const OutputSyntax&) const = default;
};

// The syntax of a built-in template by name (library.h), else of a TEMPLATE text by its
// distinctive substrings (<tool_call>, [TOOL_CALLS], <|python_tag|>, <think>, ...).
OutputSyntax output_syntax(std::string_view builtin_name, std::string_view template_text);

struct ParserOptions {
  bool has_tools = false;  // the request gave tools
  Think think;             // unset: a model that thinks does (Ollama); false: thinking hidden
  bool starts_in_thinking = false;  // the prompt already opened <think>
  uint64_t id_seed = 0;             // for the generated call ids; 0: random
};

// How a model of a syntax writes a tool call, for a grammar that forces one (tool_choice
// "required" or a named tool): `open`, then the call as JSON {"name": .., <arguments_key>:
// {..}} (a JSON list of such calls when `list`), then `close`. None for syntaxes whose calls
// are not one JSON value (DeepSeek, Harmony) and for kNone.
struct ToolCallShape {
  std::string open, close;
  std::string arguments_key;
  bool list = false;
};
std::optional<ToolCallShape> tool_call_shape(ToolSyntax syntax);

// True when the rendered prompt ends (whitespace aside) with an open <think>.
bool prompt_opens_thinking(std::string_view prompt);

// The parser for a model's output. No tool syntax in use and no thinking: a pass-through.
std::unique_ptr<OutputParser> make_output_parser(const OutputSyntax& syntax,
                                                 const ParserOptions& options);

}  // namespace cria::tmpl
