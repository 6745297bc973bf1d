// Ollama's prompt rendering on top of the template engine: /api/chat (template/template.go
// Execute and server/prompt.go chatPrompt) and /api/generate.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/result.h"
#include "template/template.h"

namespace cria::tmpl {

struct ToolCall {
  std::string id;
  std::string name;
  Json arguments = Json::object();  // in the request's key order
  int index = 0;
};

struct Message {
  std::string role;  // system, user, assistant, tool
  std::string content;
  std::string thinking;
  std::vector<ToolCall> tool_calls;
  std::string tool_name;
  std::string tool_call_id;
};

// The request's "think": unset, a bool, or a level ("low", "medium", "high", "max").
struct Think {
  bool is_set = false;
  bool enabled = false;
  std::string level;  // "medium" for `true`, as Ollama's ThinkValue.String()
  static Think from_bool(bool on) { return Think{true, on, on ? "medium" : ""}; }
  static Think from_level(std::string level);
};

struct ChatInput {
  std::vector<Message> messages;
  Json tools = Json::array();  // the request's tools, as sent
  Think think;
};

// Renders a chat the way Ollama's template.Execute does: templates that mention .Messages get
// .System (system messages joined by "\n\n"), .Messages (consecutive same-role messages merged,
// tool messages kept apart), .Tools, .Think, .ThinkLevel, .IsThinkSet and .Response = "";
// older templates are run once per system/prompt/response turn, the last turn cut after
// .Response.
Result<std::string> render_chat(const Template& t, const ChatInput& chat,
                                const ExecOptions& options = {});

// Counts the tokens of a rendered prompt.
using TokenCounter = std::function<Result<int64_t>(const std::string&)>;

struct ChatPrompt {
  std::string prompt;
  size_t first_message = 0;  // index of the oldest non-system message kept
};

// server/prompt.go chatPrompt: when `truncate`, drops the oldest messages (keeping system
// messages and always the latest message) until the rendered prompt has at most `num_ctx`
// tokens.
Result<ChatPrompt> chat_prompt(const Template& t, const ChatInput& chat, int64_t num_ctx,
                               const TokenCounter& count, bool truncate = true,
                               const ExecOptions& options = {});

struct GenerateInput {
  std::string system;            // the request's system prompt, else the model's
  std::vector<Message> history;  // the model's MESSAGE lines
  std::string prompt;
  std::string suffix;
  Think think;
};

// The chat /api/generate renders when there is no suffix: [system, history..., user prompt]
// (pass it to chat_prompt to truncate as Ollama does).
ChatInput generate_as_chat(const GenerateInput& in);

// /api/generate: with a suffix, the template runs with .Prompt .Suffix .Response ""
// (fill-in-the-middle); otherwise as a chat of [system, history..., user prompt].
Result<std::string> render_generate(const Template& t, const GenerateInput& in,
                                    const ExecOptions& options = {});

// The JSON Ollama's templates see for a message (role, content, thinking, tool_calls with
// id/function{index,name,arguments}, tool_name, tool_call_id).
Json message_json(const Message& m);

}  // namespace cria::tmpl
