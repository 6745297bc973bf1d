#include "server/pipeline.h"

#include <thread>

#include <fmt/format.h>

#include "base/log.h"
#include "server/model_info.h"
#include "server/prompt.h"
#include "server/tool_grammar.h"
#include "template/output_parser.h"

namespace cria::server {

namespace {

using Clock = std::chrono::steady_clock;

api::Json runner_request(const RunRequest& r, const api::Options& options) {
  api::Json opts = api::options_to_json(options);
  opts["num_predict"] = options.num_predict;
  api::Json j = {{"prompt", r.prompt}, {"context", r.context}, {"options", opts}};
  if (!r.grammar.empty()) {
    j["grammar"] = r.grammar;
  } else if (!r.format.is_null()) {
    j["format"] = r.format;
  }
  if (r.top_logprobs >= 0) j["top_logprobs"] = r.top_logprobs;
  return j;
}

Final final_of(const Prepared& p, const api::Json& d) {
  Final f;
  f.done_reason = d.value("done_reason", "stop");
  f.context = d.value("context", std::vector<int32_t>{});
  f.metrics.total = Clock::now() - p.started;
  f.metrics.load = p.lease->load_duration();
  f.metrics.prompt_eval_count = d.value("prompt_eval_count", int64_t{0});
  f.metrics.prompt_eval = Nanos(d.value("prompt_eval_duration", int64_t{0}));
  f.metrics.eval_count = d.value("eval_count", int64_t{0});
  f.metrics.eval = Nanos(d.value("eval_duration", int64_t{0}));
  return f;
}

// The model's output syntax (tool calls, thinking tags), from its template.
tmpl::OutputSyntax output_syntax(const Prepared& p) {
  auto mt = model_template(p.model);
  if (mt.ok()) return tmpl::output_syntax(mt->builtin, mt->tmpl.source());
  log::warn("{}: no output parser: {}", p.model_name, mt.error().message);
  return {};
}

// The parser for the model's output: its template's syntax, the request's tools and think.
std::unique_ptr<tmpl::OutputParser> output_parser(const Prepared& p, const RunRequest& r) {
  const tmpl::OutputSyntax syntax = output_syntax(p);
  tmpl::ParserOptions o;
  o.has_tools = r.has_tools;
  if (r.think) o.think = tmpl::Think::from_bool(*r.think);
  o.starts_in_thinking = tmpl::prompt_opens_thinking(r.prompt);
  return tmpl::make_output_parser(syntax, o);
}

Delta delta_of(tmpl::ParsedOutput&& parsed) {
  Delta d;
  d.content = std::move(parsed.content);
  d.thinking = std::move(parsed.thinking);
  for (auto& c : parsed.tool_calls)
    d.tool_calls.push_back(
        api::ToolCall{std::move(c.id), c.index, std::move(c.name), std::move(c.arguments)});
  return d;
}

}  // namespace

Result<Prepared> prepare(App& app, const std::string& model, const api::Json& options_json,
                         Use use) {
  Prepared p;
  p.model_name = model;
  CRIA_ASSIGN_OR_RETURN(p.model, find_model(app, model));
  const char* what = use == Use::kEmbed ? "embeddings" : use == Use::kChat ? "chat" : "generate";
  if (p.model.model_path.empty())
    return make_error(Errc::kInvalidArgument,
                      fmt::format("\"{}\" does not support {}: it has no model file", model, what));
  CRIA_ASSIGN_OR_RETURN(const bool embedding, is_embedding_model(p.model.model_path));
  if (embedding != (use == Use::kEmbed)) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("\"{}\" does not support {}", model, what));
  }
  CRIA_ASSIGN_OR_RETURN(p.options, request_options(app, p.model, options_json));
  if (embedding) return p;
  if (p.options.stop.empty() && !p.model.template_text) {
    // A built-in template brings its end-of-turn strings, as Ollama's params layer would.
    CRIA_ASSIGN_OR_RETURN(ModelTemplate mt, model_template(p.model));
    p.options.stop = mt.stop;
  }
  return p;
}

Status acquire(App& app, Prepared& p, std::optional<Nanos> keep_alive) {
  CRIA_ASSIGN_OR_RETURN(p.lease, app.sched.acquire(load_spec(p.model, p.model.short_name, p.options,
                                                             app.config.num_parallel),
                                                   keep_alive));
  return {};
}

Result<std::string> render_chat_prompt(Prepared& p, const api::ChatRequest& r) {
  sched::Runner& runner = p.lease->runner();
  auto count = [&runner](const std::string& text) -> Result<int64_t> {
    CRIA_ASSIGN_OR_RETURN(auto ids, runner.tokenize(text, true));
    return static_cast<int64_t>(ids.size());
  };
  return render_chat(p.model, p.options, r, count);
}

Result<RunRequest> chat_run_request(const Prepared& p, std::string prompt,
                                    const api::ChatRequest& chat) {
  RunRequest r;
  r.prompt = std::move(prompt);
  r.format = chat.format;
  r.has_tools = chat.tools.is_array() && !chat.tools.empty();
  r.think = chat.think;
  r.top_logprobs = chat.top_logprobs;
  if (!chat.tool_required) return r;
  const tmpl::OutputSyntax syntax = output_syntax(p);
  ForcedToolOptions o;
  o.may_think = syntax.think_tags && chat.think.value_or(true);
  o.prompt_in_think = syntax.think_tags && tmpl::prompt_opens_thinking(r.prompt);
  CRIA_ASSIGN_OR_RETURN(r.grammar, forced_tool_gbnf(syntax, chat.tools, o));
  return r;
}

Result<RunRequest> ready_chat(App& app, Prepared& p, const api::ChatRequest& chat,
                              std::optional<Nanos> keep_alive) {
  CRIA_RETURN_IF_ERROR(acquire(app, p, keep_alive));
  CRIA_ASSIGN_OR_RETURN(std::string prompt, render_chat_prompt(p, chat));
  return chat_run_request(p, std::move(prompt), chat);
}

void run(Prepared& p, const RunRequest& r, Output& out) {
  api::Json done;
  std::string runner_error;
  bool client_gone = false;
  std::unique_ptr<tmpl::OutputParser> parser = output_parser(p, r);
  Status st = p.lease->runner().complete(runner_request(r, p.options), [&](const api::Json& c) {
    if (c.contains("error")) {
      runner_error = c["error"].is_string() ? c["error"].get<std::string>() : "error";
      return false;
    }
    if (c.value("done", false)) {
      done = c;
      return true;
    }
    tmpl::ParsedOutput parsed = parser->push(c.value("content", ""));
    Delta d = delta_of(std::move(parsed));
    if (auto it = c.find("logprobs"); it != c.end()) d.logprobs = std::move(*it);
    // Pieces that are all held back still reach the Output: it notices a client gone.
    if (!out.delta(d)) client_gone = true;
    return !client_gone;
  });
  if (client_gone) {
    log::debug("client of {} went away; generation stopped", p.model_name);
  } else if (!st.ok()) {
    p.lease->mark_failed();
    out.error(st.error());
  } else if (!runner_error.empty()) {
    out.error(make_error(Errc::kInternal, runner_error));
  } else if (done.is_object()) {
    if (tmpl::ParsedOutput rest = parser->finish(); !rest.empty())
      client_gone = !out.delta(delta_of(std::move(rest)));
    if (!client_gone) out.done(final_of(p, done));
  }
  p.lease.reset();
}

void run_choices(App& app, Prepared& p, const RunRequest& r, std::span<Output* const> outputs) {
  std::vector<std::thread> others;
  for (size_t i = 1; i < outputs.size(); ++i) {
    others.emplace_back([&app, &p, &r, out = outputs[i], i] {
      Prepared choice;
      choice.model_name = p.model_name;
      choice.model = p.model;
      choice.options = p.options;
      if (choice.options.seed >= 0) choice.options.seed += static_cast<int64_t>(i);
      if (Status st = acquire(app, choice, std::nullopt); !st.ok()) return out->error(st.error());
      run(choice, r, *out);
    });
  }
  if (!outputs.empty()) run(p, r, *outputs[0]);
  for (std::thread& t : others) t.join();
}

}  // namespace cria::server
