// Wire types of Ollama's native API (/api/generate, /api/chat, ...): parsing of
// requests with errors a client can act on, and the JSON of responses with
// Ollama's field names. No HTTP here.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/options.h"
#include "base/duration.h"
#include "base/result.h"

namespace cria::api {

struct ToolCall {
  std::string id;
  int64_t index = 0;
  std::string name;
  Json arguments = Json::object();
};

struct Message {
  std::string role;
  std::string content;
  std::string thinking;
  std::vector<std::string> images;  // base64
  std::vector<ToolCall> tool_calls;
  std::string tool_name;
  std::string tool_call_id;
};

// Fields shared by /api/generate and /api/chat.
struct CommonRequest {
  std::string model;
  bool stream = true;
  Json format;                      // null, "json" or a JSON schema
  std::optional<Nanos> keep_alive;  // unset: the server's default
  Json options = Json::object();    // validated later against the model's parameters
  std::optional<bool> think;
  // -1: no log-probabilities ("logprobs" false); 0..20: each generated token's, with that
  // many most likely alternatives ("top_logprobs").
  int top_logprobs = -1;
};

struct GenerateRequest : CommonRequest {
  std::string prompt;
  std::string suffix;
  std::string system;
  std::string template_text;
  bool has_template = false;
  std::vector<int32_t> context;
  bool raw = false;
  std::vector<std::string> images;
};

struct ChatRequest : CommonRequest {
  std::vector<Message> messages;
  Json tools = Json::array();
  // The answer must call one of `tools` (OpenAI's tool_choice "required" or a named function,
  // Anthropic's "any" or "tool"); Ollama's native API has no such field.
  bool tool_required = false;
};

// The most alternatives "top_logprobs" may ask for.
inline constexpr int kMaxTopLogprobs = 20;

// "logprobs": true and "top_logprobs": 0..20 into CommonRequest::top_logprobs.
Status parse_logprobs(const Json& body, int& top_logprobs);

Result<GenerateRequest> parse_generate(const Json& body);
Result<ChatRequest> parse_chat(const Json& body);
// keep_alive: a number of seconds or a Go duration string.
Result<std::optional<Nanos>> parse_keep_alive(const Json& value);
// The model name of a request: "model", or the older "name".
Result<std::string> request_model(const Json& body);

Json message_to_json(const Message& m);

// Timings and counts of one generation, in nanoseconds as Ollama reports them.
struct Metrics {
  Nanos total{0};
  Nanos load{0};
  int64_t prompt_eval_count = 0;
  Nanos prompt_eval{0};
  int64_t eval_count = 0;
  Nanos eval{0};
};

void add_metrics(Json& out, const Metrics& m);

// RFC 3339 with nanoseconds in local time, as Go's time.Time marshals.
std::string format_time(std::chrono::system_clock::time_point t);

Json error_json(const std::string& message);

}  // namespace cria::api
