// Anthropic-compatible wire format (/v1/messages, /v1/messages/count_tokens):
// requests parsed into Cria's native chat request, message objects, and the
// streaming event sequence (message_start, content_block_start / _delta / _stop,
// message_delta, message_stop). Follows Ollama's anthropic package: system as a
// string or text blocks (joined by newlines), tool_use blocks become an
// assistant's tool calls and tool_result blocks role "tool" messages. Image and
// document blocks are accepted and ignored (no vision). tool_choice "none" drops
// the tools, {"type":"tool"} keeps only that tool and, like "any", makes a call required
// (ChatRequest::tool_required: a grammar forces it).
// stop_sequence is always null: the runner does not say which stop string hit.
// No HTTP here.
#pragma once

#include <string>
#include <vector>

#include "api/types.h"

namespace cria::api::anthropic {

// POST /v1/messages: max_tokens is required.
Result<ChatRequest> parse_messages(const Json& body);
// POST /v1/messages/count_tokens: the same fields, max_tokens not needed.
Result<ChatRequest> parse_count_tokens(const Json& body);

struct Usage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

// end_turn, max_tokens, or tool_use when the answer called tools.
std::string stop_reason(const std::string& done_reason, bool had_tool_calls);

// A message object: content blocks thinking, text, then tool_use.
Json message_object(const std::string& id, const std::string& model, const Message& answer,
                    const std::string& stop_reason, const Usage& usage);

struct Event {
  std::string name;  // also data.type
  Json data;
};

// Turns the pieces of one streamed answer into Anthropic's events, opening and
// closing content blocks as the kind of piece changes.
class MessageStream {
 public:
  MessageStream(std::string id, std::string model) : id_(std::move(id)), model_(std::move(model)) {}

  std::vector<Event> start(int64_t input_tokens);
  std::vector<Event> delta(const Message& piece);
  std::vector<Event> finish(const std::string& done_reason, const Usage& usage);

 private:
  enum class Block { kNone, kThinking, kText };
  void open(std::vector<Event>& out, Block kind);
  void close(std::vector<Event>& out);
  void tool_use(std::vector<Event>& out, const ToolCall& call);

  std::string id_;
  std::string model_;
  Block open_ = Block::kNone;
  int64_t index_ = 0;  // of the open block, or of the next one
  bool used_tools_ = false;
};

// {"type":"error","error":{"type","message"}} with the type for the HTTP status.
Json error_body(int http_status, const std::string& message);

}  // namespace cria::api::anthropic
