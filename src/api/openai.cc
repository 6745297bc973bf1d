#include "api/openai.h"

#include <fmt/core.h>

#include "api/compat.h"
#include "base/log.h"

namespace cria::api::openai {

namespace {

using compat::bad_request;

const Json* field(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

// The text of a content value: a string, or content parts whose text parts are
// joined by newlines. Image, audio and file parts are accepted and ignored:
// no runner here can see them.
Result<std::string> content_text(const Json& content, size_t index) {
  if (content.is_string()) return content.get<std::string>();
  std::string where = fmt::format("messages[{}].content", index);
  if (!content.is_array())
    return bad_request(where + " must be a string or an array of content parts");
  std::string text;
  for (const Json& part : content) {
    std::string type;
    if (!part.is_object() || !compat::read_string(part, "type", type).ok() || type.empty())
      return bad_request(where + ": each content part must be an object with a \"type\"");
    if (type == "text") {
      std::string piece;
      if (!part.contains("text") || !compat::read_string(part, "text", piece).ok())
        return bad_request(where + ": a text part needs a \"text\" string");
      text += (text.empty() ? "" : "\n") + piece;
    } else if (type == "image_url" || type == "input_audio" || type == "file") {
      log::debug("openai: ignoring a {} part of {} (no vision or audio support)", type, where);
    } else {
      return bad_request(fmt::format("{}: unsupported content part type \"{}\"", where, type));
    }
  }
  return text;
}

Result<ToolCall> parse_tool_call(const Json& j, size_t index) {
  const Json* fn = j.is_object() ? field(j, "function") : nullptr;
  if (!fn || !fn->is_object())
    return bad_request("each tool call needs a \"function\" object with a name and arguments");
  ToolCall c;
  c.index = static_cast<int64_t>(index);
  CRIA_RETURN_IF_ERROR(compat::read_string(j, "id", c.id));
  CRIA_RETURN_IF_ERROR(compat::read_string(*fn, "name", c.name));
  if (const Json* args = field(*fn, "arguments")) {
    Json parsed = args->is_string() ? Json::parse(args->get<std::string>(), nullptr, false) : *args;
    if (args->is_string() && args->get<std::string>().empty()) parsed = Json::object();
    if (parsed.is_discarded() || !parsed.is_object())
      return bad_request("tool call arguments must be a JSON object (as a string)");
    c.arguments = std::move(parsed);
  }
  return c;
}

Result<Message> parse_message(const Json& j, size_t index, const std::vector<Message>& earlier) {
  if (!j.is_object()) return bad_request(fmt::format("messages[{}] must be an object", index));
  Message m;
  CRIA_RETURN_IF_ERROR(compat::read_string(j, "role", m.role));
  if (m.role.empty()) return bad_request(fmt::format("messages[{}] needs a \"role\"", index));
  if (m.role == "developer") m.role = "system";
  if (const Json* calls = field(j, "tool_calls")) {
    if (!calls->is_array()) return bad_request("\"tool_calls\" must be an array");
    for (size_t i = 0; i < calls->size(); ++i) {
      CRIA_ASSIGN_OR_RETURN(ToolCall c, parse_tool_call((*calls)[i], i));
      m.tool_calls.push_back(std::move(c));
    }
  }
  if (const Json* content = field(j, "content")) {
    CRIA_ASSIGN_OR_RETURN(m.content, content_text(*content, index));
  } else if (m.tool_calls.empty() && m.role != "assistant") {
    return bad_request(fmt::format("messages[{}].content is required", index));
  }
  CRIA_RETURN_IF_ERROR(compat::read_string(j, "reasoning", m.thinking));
  if (m.thinking.empty())
    CRIA_RETURN_IF_ERROR(compat::read_string(j, "reasoning_content", m.thinking));
  CRIA_RETURN_IF_ERROR(compat::read_string(j, "tool_call_id", m.tool_call_id));
  if (m.role == "tool") {
    CRIA_RETURN_IF_ERROR(compat::read_string(j, "name", m.tool_name));
    if (m.tool_name.empty()) m.tool_name = compat::tool_name_for(earlier, m.tool_call_id);
  }
  return m;
}

Status parse_messages(const Json& body, std::vector<Message>& out) {
  const Json* messages = field(body, "messages");
  if (!messages) return bad_request("\"messages\" is required");
  if (!messages->is_array()) return bad_request("\"messages\" must be an array");
  if (messages->empty()) return bad_request("[] is too short - 'messages'");
  for (size_t i = 0; i < messages->size(); ++i) {
    CRIA_ASSIGN_OR_RETURN(Message m, parse_message((*messages)[i], i, out));
    out.push_back(std::move(m));
  }
  return {};
}

// Sampling fields into Ollama options; temperature and top_p default to 1.0 as
// OpenAI's do (and Ollama's /v1 sets them).
Status parse_sampling(const Json& body, Json& o) {
  o["temperature"] = 1.0;
  o["top_p"] = 1.0;
  CRIA_RETURN_IF_ERROR(compat::copy_number(body, "temperature", o, "temperature"));
  CRIA_RETURN_IF_ERROR(compat::copy_number(body, "top_p", o, "top_p"));
  CRIA_RETURN_IF_ERROR(compat::copy_number(body, "frequency_penalty", o, "frequency_penalty"));
  CRIA_RETURN_IF_ERROR(compat::copy_number(body, "presence_penalty", o, "presence_penalty"));
  CRIA_RETURN_IF_ERROR(compat::copy_integer(body, "seed", o, "seed"));
  CRIA_RETURN_IF_ERROR(compat::copy_integer(body, "max_tokens", o, "num_predict"));
  CRIA_RETURN_IF_ERROR(compat::copy_integer(body, "max_completion_tokens", o, "num_predict"));
  return compat::copy_stop(body, "stop", o);
}

Status parse_choices(const Json& body, int& n) {
  const Json* v = field(body, "n");
  if (!v) return {};
  if (!v->is_number_integer() || v->get<int64_t>() < 1 || v->get<int64_t>() > kMaxChoices)
    return bad_request(fmt::format("\"n\" must be an integer from 1 to {}", kMaxChoices));
  n = v->get<int>();
  return {};
}

Status parse_stream(const Json& body, bool& stream, bool& include_usage) {
  stream = false;  // OpenAI's default, unlike Ollama's native API
  CRIA_RETURN_IF_ERROR(compat::read_bool(body, "stream", stream));
  if (const Json* so = field(body, "stream_options")) {
    if (!so->is_object()) return bad_request("\"stream_options\" must be an object");
    CRIA_RETURN_IF_ERROR(compat::read_bool(*so, "include_usage", include_usage));
  }
  return {};
}

// response_format: text (nothing), json_object ("json"), json_schema (its schema).
Status parse_response_format(const Json& body, Json& format) {
  const Json* rf = field(body, "response_format");
  if (!rf) return {};
  std::string type;
  if (!rf->is_object() || !compat::read_string(*rf, "type", type).ok())
    return bad_request("\"response_format\" must be an object with a \"type\"");
  if (type == "text" || type.empty()) return {};
  if (type == "json_object") {
    format = "json";
    return {};
  }
  if (type == "json_schema") {
    const Json* js = field(*rf, "json_schema");
    const Json* schema = js && js->is_object() ? field(*js, "schema") : nullptr;
    if (!schema || !schema->is_object())
      return bad_request("response_format json_schema needs a \"json_schema.schema\" object");
    format = *schema;
    return {};
  }
  return bad_request(fmt::format(
      "response_format type \"{}\" is not supported: use text, json_object or json_schema", type));
}

// tools, and tool_choice: "none" drops them, "required" forces a call of one, a named
// function keeps only that one and forces its call.
Status parse_tools(const Json& body, ChatRequest& chat) {
  if (const Json* t = field(body, "tools")) {
    if (!t->is_array()) return bad_request("\"tools\" must be an array");
    chat.tools = *t;
  }
  const Json* choice = field(body, "tool_choice");
  if (!choice) return {};
  if (choice->is_string()) {
    std::string c = choice->get<std::string>();
    if (c == "none") chat.tools = Json::array();
    chat.tool_required = c == "required";
    if (c == "none" || c == "auto" || c == "required") return {};
  } else if (choice->is_object()) {
    const Json* fn = field(*choice, "function");
    std::string name;
    if (fn && fn->is_object() && compat::read_string(*fn, "name", name).ok() && !name.empty()) {
      chat.tool_required = true;
      return compat::keep_only_tool(chat.tools, name);
    }
  }
  return bad_request(
      "\"tool_choice\" must be \"none\", \"auto\", \"required\" or "
      "{\"type\": \"function\", \"function\": {\"name\": ...}}");
}

// reasoning_effort (or reasoning.effort): "none" turns thinking off, a level on.
Status parse_reasoning(const Json& body, std::optional<bool>& think) {
  std::string effort;
  if (const Json* r = field(body, "reasoning"); r && r->is_object())
    CRIA_RETURN_IF_ERROR(compat::read_string(*r, "effort", effort));
  if (effort.empty()) CRIA_RETURN_IF_ERROR(compat::read_string(body, "reasoning_effort", effort));
  if (effort.empty()) return {};
  if (effort == "none") {
    think = false;
    return {};
  }
  for (const char* level : {"minimal", "low", "medium", "high", "xhigh", "max", "ultra"}) {
    if (effort == level) {
      think = true;
      return {};
    }
  }
  return bad_request(fmt::format(
      "invalid reasoning effort \"{}\": use none, minimal, low, medium, high or xhigh", effort));
}

Json usage_json(const Usage& u) {
  return Json{{"prompt_tokens", u.prompt_tokens},
              {"completion_tokens", u.completion_tokens},
              {"total_tokens", u.prompt_tokens + u.completion_tokens}};
}

Json head_json(const Head& head, const char* object) {
  return Json{{"id", head.id},
              {"object", object},
              {"created", head.created},
              {"model", head.model},
              {"system_fingerprint", "fp_ollama"}};
}

}  // namespace

Result<ChatCompletionRequest> parse_chat_completion(const Json& body) {
  ChatCompletionRequest r;
  CRIA_ASSIGN_OR_RETURN(r.chat.model, request_model(body));
  CRIA_RETURN_IF_ERROR(parse_stream(body, r.chat.stream, r.include_usage));
  CRIA_RETURN_IF_ERROR(parse_messages(body, r.chat.messages));
  CRIA_RETURN_IF_ERROR(parse_sampling(body, r.chat.options));
  CRIA_RETURN_IF_ERROR(parse_choices(body, r.n));
  CRIA_RETURN_IF_ERROR(parse_response_format(body, r.chat.format));
  CRIA_RETURN_IF_ERROR(parse_tools(body, r.chat));
  CRIA_RETURN_IF_ERROR(parse_reasoning(body, r.chat.think));
  CRIA_RETURN_IF_ERROR(parse_logprobs(body, r.chat.top_logprobs));
  return r;
}

Result<CompletionRequest> parse_completion(const Json& body) {
  CompletionRequest r;
  CRIA_ASSIGN_OR_RETURN(r.generate.model, request_model(body));
  CRIA_RETURN_IF_ERROR(parse_stream(body, r.generate.stream, r.include_usage));
  const Json* prompt = field(body, "prompt");
  if (prompt && prompt->is_array() && prompt->size() == 1) prompt = &(*prompt)[0];
  if (prompt && !prompt->is_string())
    return bad_request(
        "\"prompt\" must be a string (lists of prompts and token ids are not supported)");
  if (prompt) r.generate.prompt = prompt->get<std::string>();
  CRIA_RETURN_IF_ERROR(compat::read_string(body, "suffix", r.generate.suffix));
  CRIA_RETURN_IF_ERROR(parse_sampling(body, r.generate.options));
  int n = 1;
  CRIA_RETURN_IF_ERROR(parse_choices(body, n));
  if (n != 1) return bad_request("\"n\" > 1 is supported by /v1/chat/completions only");
  // The legacy API's logprobs: how many alternatives (0..5) with each token.
  if (const Json* lp = field(body, "logprobs"); lp && !lp->is_null()) {
    if (!lp->is_number_integer() || lp->get<int64_t>() < 0 || lp->get<int64_t>() > 5)
      return bad_request("\"logprobs\" must be an integer from 0 to 5");
    r.generate.top_logprobs = lp->get<int>();
  }
  return r;
}

Json logprob_entries(const Json& entries) {
  Json out = Json::array();
  if (!entries.is_array()) return out;
  for (Json e : entries) {
    if (!e.contains("top_logprobs")) e["top_logprobs"] = Json::array();
    out.push_back(std::move(e));
  }
  return out;
}

Json chat_logprobs(const Json& entries) {
  if (entries.is_null()) return nullptr;
  return Json{{"content", logprob_entries(entries)}};
}

Json completion_logprobs(const Json& entries, int64_t& text_offset) {
  if (entries.is_null()) return nullptr;
  Json tokens = Json::array(), logprobs = Json::array(), top = Json::array(),
       offsets = Json::array();
  for (const Json& e : entries) {
    const std::string token = e.value("token", "");
    tokens.push_back(token);
    logprobs.push_back(e.value("logprob", 0.0));
    Json alternatives = Json::object();
    for (const Json& t : e.value("top_logprobs", Json::array())) {
      alternatives[t.value("token", "")] = t.value("logprob", 0.0);
    }
    top.push_back(std::move(alternatives));
    offsets.push_back(text_offset);
    text_offset += static_cast<int64_t>(token.size());
  }
  return Json{{"tokens", tokens},
              {"token_logprobs", logprobs},
              {"top_logprobs", top},
              {"text_offset", offsets}};
}

std::string finish_reason(const std::string& done_reason, bool had_tool_calls) {
  std::string reason = done_reason.empty() ? "stop" : done_reason;
  if (reason == "stop" && had_tool_calls) return "tool_calls";
  return reason;
}

Json tool_calls_json(const std::vector<ToolCall>& calls, int64_t first_index) {
  Json out = Json::array();
  for (size_t i = 0; i < calls.size(); ++i) {
    const ToolCall& c = calls[i];
    out.push_back(Json{{"index", first_index + static_cast<int64_t>(i)},
                       {"id", c.id.empty() ? compat::random_id("call_") : c.id},
                       {"type", "function"},
                       {"function", Json{{"name", c.name}, {"arguments", c.arguments.dump()}}}});
  }
  return out;
}

Json chat_completion(const Head& head, const Message& message, const std::string& finish_reason,
                     const Usage& usage, const Json& logprobs) {
  Json msg = {{"role", "assistant"}};
  bool tools = !message.tool_calls.empty();
  msg["content"] = tools && message.content.empty() ? Json() : Json(message.content);
  if (!message.thinking.empty()) msg["reasoning"] = message.thinking;
  if (tools) msg["tool_calls"] = tool_calls_json(message.tool_calls);
  Json j = head_json(head, "chat.completion");
  j["choices"] = Json::array({Json{{"index", head.choice},
                                   {"message", msg},
                                   {"logprobs", logprobs},
                                   {"finish_reason", finish_reason}}});
  j["usage"] = usage_json(usage);
  return j;
}

Json chat_chunk(const Head& head, const Message& delta, bool with_role, int64_t first_tool_index,
                const Json& logprobs) {
  Json d = Json::object();
  if (with_role) d["role"] = "assistant";
  if (with_role || !delta.content.empty()) d["content"] = delta.content;
  if (!delta.thinking.empty()) d["reasoning"] = delta.thinking;
  if (!delta.tool_calls.empty())
    d["tool_calls"] = tool_calls_json(delta.tool_calls, first_tool_index);
  Json j = head_json(head, "chat.completion.chunk");
  j["choices"] = Json::array({Json{
      {"index", head.choice}, {"delta", d}, {"logprobs", logprobs}, {"finish_reason", nullptr}}});
  return j;
}

Json finish_chunk(const Head& head, const std::string& finish_reason) {
  Json j = head_json(head, "chat.completion.chunk");
  j["choices"] = Json::array({Json{{"index", head.choice},
                                   {"delta", Json::object()},
                                   {"logprobs", nullptr},
                                   {"finish_reason", finish_reason}}});
  return j;
}

Json usage_chunk(const Head& head, const std::string& object, const Usage& usage) {
  Json j = head_json(head, object.c_str());
  j["choices"] = Json::array();
  j["usage"] = usage_json(usage);
  return j;
}

Json text_completion(const Head& head, const std::string& text, const std::string& finish_reason,
                     const Usage& usage, const Json& logprobs) {
  Json j = head_json(head, "text_completion");
  j["choices"] = Json::array({Json{
      {"text", text}, {"index", 0}, {"logprobs", logprobs}, {"finish_reason", finish_reason}}});
  j["usage"] = usage_json(usage);
  return j;
}

Json completion_chunk(const Head& head, const std::string& text, const Json& finish_reason,
                      const Json& logprobs) {
  Json j = head_json(head, "text_completion");
  j["choices"] = Json::array({Json{
      {"text", text}, {"index", 0}, {"logprobs", logprobs}, {"finish_reason", finish_reason}}});
  return j;
}

Json model_object(const std::string& id, int64_t created, const std::string& owned_by) {
  return Json{{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", owned_by}};
}

Json error_body(int http_status, const std::string& message) {
  std::string type = "api_error";
  Json code = nullptr;
  if (http_status == 404) {
    type = "not_found_error";  // as Ollama; the SDKs pick the error class by status
    code = "model_not_found";
  } else if (http_status >= 400 && http_status < 500) {
    type = "invalid_request_error";
  } else if (http_status == 501) {
    type = "not_implemented_error";
  } else if (http_status == 503) {
    type = "server_overloaded";
  }
  return Json{
      {"error", Json{{"message", message}, {"type", type}, {"param", nullptr}, {"code", code}}}};
}

}  // namespace cria::api::openai
