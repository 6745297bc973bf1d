// The completion pipeline every API shares (native, OpenAI, Anthropic):
//   prepare (resolve the model, merge options)   -> errors become HTTP codes
//   acquire (a runner lease from the scheduler)   -> errors become HTTP codes
//   render  (the prompt from the template)        -> errors become HTTP codes
//   run     (stream the runner's pieces to an Output, after the headers)
// Each API is an Output: it turns deltas and the final result into its own wire format.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "api/types.h"
#include "sched/scheduler.h"
#include "server/app.h"

namespace cria::server {

struct Prepared {
  std::string model_name;  // as the client named it
  store::Model model;
  api::Options options;
  std::unique_ptr<sched::Lease> lease;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// What a request wants of a model; a model that cannot do it is refused with Ollama's
// message ("\"all-minilm\" does not support generate").
enum class Use { kGenerate, kChat, kEmbed };

// Resolves the model and merges the options (defaults <- model params <- request).
Result<Prepared> prepare(App& app, const std::string& model, const api::Json& options_json,
                         Use use);
// Takes a runner for it (loading the model when needed).
Status acquire(App& app, Prepared& p, std::optional<Nanos> keep_alive);

// Renders /api/chat-shaped input with the model's template (history cut to num_ctx).
Result<std::string> render_chat_prompt(Prepared& p, const api::ChatRequest& r);

// What the runner produced since the last delta, split by the model's output parser
// (thinking text and tool calls out of the content).
struct Delta {
  std::string content;
  std::string thinking;
  std::vector<api::ToolCall> tool_calls;
  // The generated tokens' log-probabilities, as Ollama's "logprobs" entries; null when the
  // request did not ask for them.
  api::Json logprobs;
};

struct Final {
  std::string done_reason;  // stop, length (OpenAI adds tool_calls when the answer had some)
  api::Metrics metrics;
  std::vector<int32_t> context;  // prompt + generated tokens
};

class Output {
 public:
  virtual ~Output() = default;
  // False: the client is gone; the generation stops.
  virtual bool delta(const Delta& d) = 0;
  virtual void done(const Final& f) = 0;
  virtual void error(const Error& e) = 0;
};

struct RunRequest {
  std::string prompt;
  std::vector<int32_t> context;
  api::Json format;           // null, "json" or a JSON schema
  std::string grammar;        // grammar text (sampler/grammar.h); when set, instead of format
  bool has_tools = false;     // the request gave tools: tool calls are parsed out of the output
  std::optional<bool> think;  // the request's think (unset: a thinking model thinks)
  int top_logprobs = -1;      // -1: no log-probabilities; else that many alternatives
};

// The runner request of a rendered chat prompt: its format, tools, think and logprobs. When
// the chat requires a tool call (chat.tool_required), a grammar that makes the model call one
// of chat.tools in its template's syntax (server/tool_grammar.h); kInvalidArgument when the
// model's syntax cannot be forced.
Result<RunRequest> chat_run_request(const Prepared& p, std::string prompt,
                                    const api::ChatRequest& chat);

// The steps every chat route takes after prepare(), whatever its wire format: acquire (with
// keep_alive; unset: the server's default), render_chat_prompt, chat_run_request.
Result<RunRequest> ready_chat(App& app, Prepared& p, const api::ChatRequest& chat,
                              std::optional<Nanos> keep_alive);

// Runs the completion on the lease and reports to `out`, the runner's text split by the
// model's output parser (template/output_parser.h); releases the lease at the end.
void run(Prepared& p, const RunRequest& r, Output& out);

// Runs one request's choices at once (OpenAI's n): choice 0 on p's lease, each other on a
// lease of its own taken on its own thread (so the runner batches them and shares the
// prompt's cells), with seed + i when the request has a seed. outputs[i] gets choice i;
// returns when every choice has ended.
void run_choices(App& app, Prepared& p, const RunRequest& r, std::span<Output* const> outputs);

}  // namespace cria::server
