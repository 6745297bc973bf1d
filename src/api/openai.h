// OpenAI-compatible wire format (/v1/chat/completions, /v1/completions,
// /v1/models): requests parsed into Cria's native requests, and the JSON of
// OpenAI's response objects. Follows Ollama's openai package: temperature and
// top_p default to 1.0 when unset; max_tokens/max_completion_tokens become
// num_predict. `n` > 1 (chat only) asks for several choices. Not supported: logit_bias, audio
// output; image parts are accepted and ignored (no vision). tool_choice "none"
// drops the tools, a named function keeps only that tool and, like "required",
// makes a call required (ChatRequest::tool_required: a grammar forces it). No HTTP here.
#pragma once

#include <string>
#include <vector>

#include "api/types.h"

namespace cria::api::openai {

// The most choices one chat completion may ask for ("n"), as OpenAI's limit.
inline constexpr int kMaxChoices = 128;

struct ChatCompletionRequest {
  ChatRequest chat;            // options use Ollama's names; format null, "json" or a schema
  bool include_usage = false;  // stream_options.include_usage
  int n = 1;                   // choices
};

struct CompletionRequest {
  GenerateRequest generate;  // prompt, suffix, options, stream
  bool include_usage = false;
};

Result<ChatCompletionRequest> parse_chat_completion(const Json& body);
Result<CompletionRequest> parse_completion(const Json& body);

// choices[].logprobs of a chat completion from Ollama-style entries ({token, logprob, bytes,
// top_logprobs}): {"content": entries}, each with a top_logprobs array. Null stays null.
Json chat_logprobs(const Json& entries);
// choices[].logprobs of a text completion: tokens, token_logprobs, top_logprobs (token →
// logprob) and text_offset, counted on from `text_offset`. Null stays null.
Json completion_logprobs(const Json& entries, int64_t& text_offset);

// What every response object of one answer repeats.
struct Head {
  std::string id;  // "chatcmpl-..." or "cmpl-..."
  int64_t created = 0;
  std::string model;
  int64_t choice = 0;  // the "index" of the choice the object is about (n > 1)
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

// stop, length, or tool_calls when a stopped answer called tools.
std::string finish_reason(const std::string& done_reason, bool had_tool_calls);

// Tool calls as OpenAI sends them: ids ("call_..." when the model gave none),
// type "function", arguments as a JSON string. `first_index` numbers them.
Json tool_calls_json(const std::vector<ToolCall>& calls, int64_t first_index = 0);

// A chat.completion object; `message` carries content, thinking (sent as
// "reasoning") and tool calls.
// `logprobs`: chat_logprobs(...) or null.
Json chat_completion(const Head& head, const Message& message, const std::string& finish_reason,
                     const Usage& usage, const Json& logprobs = nullptr);
// A chat.completion.chunk with one delta; the first of a stream carries the role.
Json chat_chunk(const Head& head, const Message& delta, bool with_role, int64_t first_tool_index,
                const Json& logprobs = nullptr);
// The chunk that ends a stream's choice: an empty delta and the finish_reason.
Json finish_chunk(const Head& head, const std::string& finish_reason);
// The usage chunk after the finish chunk (stream_options.include_usage): no choices.
Json usage_chunk(const Head& head, const std::string& object, const Usage& usage);

// text_completion objects of /v1/completions.
// `logprobs`: completion_logprobs(...) or null.
Json text_completion(const Head& head, const std::string& text, const std::string& finish_reason,
                     const Usage& usage, const Json& logprobs = nullptr);
// A streamed piece; finish_reason is null until the last one.
Json completion_chunk(const Head& head, const std::string& text, const Json& finish_reason,
                      const Json& logprobs = nullptr);

// A model object of /v1/models; owned_by is the name's namespace ("library").
Json model_object(const std::string& id, int64_t created, const std::string& owned_by);

// {"error":{"message","type","param","code"}} with the type for the HTTP status.
Json error_body(int http_status, const std::string& message);

}  // namespace cria::api::openai
