#include "api/anthropic.h"

#include <fmt/core.h>

#include "api/compat.h"
#include "base/log.h"

namespace cria::api::anthropic {

namespace {

using compat::bad_request;

const Json* field(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string block_type(const Json& block) {
  std::string type;
  if (block.is_object()) (void)compat::read_string(block, "type", type);
  return type;
}

// The text of a string or of text blocks, joined by `sep`; other blocks ignored.
Result<std::string> blocks_text(const Json& content, const std::string& where, const char* sep) {
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array()) return bad_request(where + " must be a string or an array of blocks");
  std::string text;
  for (const Json& block : content) {
    std::string type = block_type(block);
    if (type.empty()) return bad_request(where + ": each block must be an object with a \"type\"");
    if (type != "text") {
      log::debug("anthropic: ignoring a {} block in {}", type, where);
      continue;
    }
    std::string piece;
    CRIA_RETURN_IF_ERROR(compat::read_string(block, "text", piece));
    text += (text.empty() ? "" : sep) + piece;
  }
  return text;
}

Result<ToolCall> tool_use_call(const Json& block, const std::string& where) {
  ToolCall c;
  CRIA_RETURN_IF_ERROR(compat::read_string(block, "id", c.id));
  CRIA_RETURN_IF_ERROR(compat::read_string(block, "name", c.name));
  if (c.id.empty() || c.name.empty())
    return bad_request(where + ": a tool_use block needs an \"id\" and a \"name\"");
  if (const Json* input = field(block, "input")) {
    if (!input->is_object()) return bad_request(where + ": tool_use \"input\" must be an object");
    c.arguments = *input;
  }
  return c;
}

// One Anthropic message as native messages: a user's tool_result blocks come
// first as role "tool" messages, then the text, thinking and tool calls.
Status convert_message(const Json& j, size_t index, std::vector<Message>& out) {
  std::string where = fmt::format("messages[{}]", index);
  if (!j.is_object()) return bad_request(where + " must be an object");
  Message m;
  CRIA_RETURN_IF_ERROR(compat::read_string(j, "role", m.role));
  if (m.role != "user" && m.role != "assistant")
    return bad_request(where + ".role must be \"user\" or \"assistant\"");
  const Json* content = field(j, "content");
  if (!content) return bad_request(where + ".content is required");
  if (content->is_string()) {
    m.content = content->get<std::string>();
    out.push_back(std::move(m));
    return {};
  }
  if (!content->is_array()) return bad_request(where + ".content must be a string or an array");
  std::vector<Message> results;
  for (const Json& block : *content) {
    std::string type = block_type(block);
    if (type == "text") {
      std::string piece;
      CRIA_RETURN_IF_ERROR(compat::read_string(block, "text", piece));
      m.content += piece;
    } else if (type == "thinking") {
      CRIA_RETURN_IF_ERROR(compat::read_string(block, "thinking", m.thinking));
    } else if (type == "tool_use") {
      CRIA_ASSIGN_OR_RETURN(ToolCall c, tool_use_call(block, where));
      c.index = static_cast<int64_t>(m.tool_calls.size());
      m.tool_calls.push_back(std::move(c));
    } else if (type == "tool_result") {
      Message r;
      r.role = "tool";
      CRIA_RETURN_IF_ERROR(compat::read_string(block, "tool_use_id", r.tool_call_id));
      if (const Json* c = field(block, "content")) {
        CRIA_ASSIGN_OR_RETURN(r.content, blocks_text(*c, where + " tool_result", "\n"));
      }
      r.tool_name = compat::tool_name_for(out, r.tool_call_id);
      results.push_back(std::move(r));
    } else if (type.empty()) {
      return bad_request(where + ": each content block must be an object with a \"type\"");
    } else {
      log::debug("anthropic: ignoring a {} block in {} (not supported)", type, where);
    }
  }
  bool has_body = !m.content.empty() || !m.thinking.empty() || !m.tool_calls.empty();
  bool user = m.role == "user";
  if (user) out.insert(out.end(), results.begin(), results.end());
  if (has_body || results.empty()) out.push_back(std::move(m));
  if (!user) out.insert(out.end(), results.begin(), results.end());
  return {};
}

Status parse_system(const Json& body, std::vector<Message>& out) {
  const Json* system = field(body, "system");
  if (!system) return {};
  CRIA_ASSIGN_OR_RETURN(std::string text, blocks_text(*system, "\"system\"", "\n"));
  if (text.empty()) return {};
  Message m;
  m.role = "system";
  m.content = std::move(text);
  out.push_back(std::move(m));
  return {};
}

Status parse_tools(const Json& body, ChatRequest& chat) {
  Json& tools = chat.tools;
  if (const Json* list = field(body, "tools")) {
    if (!list->is_array()) return bad_request("\"tools\" must be an array");
    for (const Json& t : *list) {
      std::string name, description;
      if (!t.is_object() || !compat::read_string(t, "name", name).ok() || name.empty())
        return bad_request("each tool needs a \"name\"");
      CRIA_RETURN_IF_ERROR(compat::read_string(t, "description", description));
      Json params = Json{{"type", "object"}, {"properties", Json::object()}};
      if (const Json* schema = field(t, "input_schema")) {
        if (!schema->is_object())
          return bad_request(fmt::format("tool \"{}\": input_schema must be an object", name));
        params = *schema;
      }
      tools.push_back(
          Json{{"type", "function"},
               {"function",
                Json{{"name", name}, {"description", description}, {"parameters", params}}}});
    }
  }
  const Json* choice = field(body, "tool_choice");
  if (!choice) return {};
  std::string type, name;
  if (choice->is_object()) CRIA_RETURN_IF_ERROR(compat::read_string(*choice, "type", type));
  if (type == "none") tools = Json::array();
  chat.tool_required = type == "any" || type == "tool";
  if (type == "none" || type == "auto" || type == "any") return {};
  if (type == "tool" && compat::read_string(*choice, "name", name).ok() && !name.empty())
    return compat::keep_only_tool(tools, name);
  return bad_request(
      "\"tool_choice\" must be {\"type\": \"auto\"}, {\"type\": \"any\"}, {\"type\": \"none\"} or "
      "{\"type\": \"tool\", \"name\": ...}");
}

Status parse_options(const Json& body, Json& o) {
  CRIA_RETURN_IF_ERROR(compat::copy_number(body, "temperature", o, "temperature"));
  CRIA_RETURN_IF_ERROR(compat::copy_number(body, "top_p", o, "top_p"));
  CRIA_RETURN_IF_ERROR(compat::copy_integer(body, "top_k", o, "top_k"));
  CRIA_RETURN_IF_ERROR(compat::copy_integer(body, "max_tokens", o, "num_predict"));
  return compat::copy_stop(body, "stop_sequences", o);
}

Status parse_thinking(const Json& body, std::optional<bool>& think) {
  const Json* t = field(body, "thinking");
  if (!t) return {};
  std::string type;
  if (t->is_object()) CRIA_RETURN_IF_ERROR(compat::read_string(*t, "type", type));
  if (type == "enabled") think = true;
  if (type == "disabled") think = false;
  if (type == "enabled" || type == "disabled" || type == "adaptive") return {};
  return bad_request("\"thinking\" must be {\"type\": \"enabled\"} or {\"type\": \"disabled\"}");
}

Result<ChatRequest> parse_common(const Json& body) {
  ChatRequest r;
  r.stream = false;
  CRIA_ASSIGN_OR_RETURN(r.model, request_model(body));
  CRIA_RETURN_IF_ERROR(compat::read_bool(body, "stream", r.stream));
  CRIA_RETURN_IF_ERROR(parse_system(body, r.messages));
  const Json* messages = field(body, "messages");
  if (!messages || !messages->is_array() || messages->empty())
    return bad_request("\"messages\" must be a non-empty array");
  for (size_t i = 0; i < messages->size(); ++i)
    CRIA_RETURN_IF_ERROR(convert_message((*messages)[i], i, r.messages));
  CRIA_RETURN_IF_ERROR(parse_options(body, r.options));
  CRIA_RETURN_IF_ERROR(parse_tools(body, r));
  CRIA_RETURN_IF_ERROR(parse_thinking(body, r.think));
  return r;
}

Json usage_json(const Usage& u) {
  return Json{{"input_tokens", u.input_tokens}, {"output_tokens", u.output_tokens}};
}

Json event_data(const char* type, Json fields) {
  Json j = {{"type", type}};
  j.update(fields);
  return j;
}

}  // namespace

Result<ChatRequest> parse_messages(const Json& body) {
  if (!field(body, "max_tokens")) return bad_request("max_tokens: Field required");
  return parse_common(body);
}

Result<ChatRequest> parse_count_tokens(const Json& body) {
  return parse_common(body);
}

std::string stop_reason(const std::string& done_reason, bool had_tool_calls) {
  if (had_tool_calls) return "tool_use";
  if (done_reason == "length") return "max_tokens";
  return "end_turn";
}

Json message_object(const std::string& id, const std::string& model, const Message& answer,
                    const std::string& stop_reason, const Usage& usage) {
  Json content = Json::array();
  if (!answer.thinking.empty())
    content.push_back(Json{{"type", "thinking"}, {"thinking", answer.thinking}, {"signature", ""}});
  if (!answer.content.empty()) content.push_back(Json{{"type", "text"}, {"text", answer.content}});
  for (const ToolCall& c : answer.tool_calls) {
    content.push_back(Json{{"type", "tool_use"},
                           {"id", c.id.empty() ? compat::random_id("toolu_") : c.id},
                           {"name", c.name},
                           {"input", c.arguments}});
  }
  return Json{{"id", id},
              {"type", "message"},
              {"role", "assistant"},
              {"model", model},
              {"content", content},
              {"stop_reason", stop_reason.empty() ? Json() : Json(stop_reason)},
              {"stop_sequence", nullptr},
              {"usage", usage_json(usage)}};
}

std::vector<Event> MessageStream::start(int64_t input_tokens) {
  Json message = message_object(id_, model_, Message{}, "", Usage{input_tokens, 0});
  return {Event{"message_start", event_data("message_start", {{"message", message}})}};
}

void MessageStream::open(std::vector<Event>& out, Block kind) {
  if (open_ == kind) return;
  close(out);
  Json block = kind == Block::kText ? Json{{"type", "text"}, {"text", ""}}
                                    : Json{{"type", "thinking"}, {"thinking", ""}};
  out.push_back(
      Event{"content_block_start",
            event_data("content_block_start", {{"index", index_}, {"content_block", block}})});
  open_ = kind;
}

void MessageStream::close(std::vector<Event>& out) {
  if (open_ == Block::kNone) return;
  out.push_back(Event{"content_block_stop", event_data("content_block_stop", {{"index", index_}})});
  open_ = Block::kNone;
  ++index_;
}

void MessageStream::tool_use(std::vector<Event>& out, const ToolCall& call) {
  close(out);
  Json block = {{"type", "tool_use"},
                {"id", call.id.empty() ? compat::random_id("toolu_") : call.id},
                {"name", call.name},
                {"input", Json::object()}};
  Json delta = {{"type", "input_json_delta"}, {"partial_json", call.arguments.dump()}};
  out.push_back(
      Event{"content_block_start",
            event_data("content_block_start", {{"index", index_}, {"content_block", block}})});
  out.push_back(Event{"content_block_delta",
                      event_data("content_block_delta", {{"index", index_}, {"delta", delta}})});
  out.push_back(Event{"content_block_stop", event_data("content_block_stop", {{"index", index_}})});
  ++index_;
  used_tools_ = true;
}

std::vector<Event> MessageStream::delta(const Message& piece) {
  std::vector<Event> out;
  if (!piece.thinking.empty()) {
    open(out, Block::kThinking);
    Json d = {{"type", "thinking_delta"}, {"thinking", piece.thinking}};
    out.push_back(Event{"content_block_delta",
                        event_data("content_block_delta", {{"index", index_}, {"delta", d}})});
  }
  if (!piece.content.empty()) {
    open(out, Block::kText);
    Json d = {{"type", "text_delta"}, {"text", piece.content}};
    out.push_back(Event{"content_block_delta",
                        event_data("content_block_delta", {{"index", index_}, {"delta", d}})});
  }
  for (const ToolCall& c : piece.tool_calls) tool_use(out, c);
  return out;
}

std::vector<Event> MessageStream::finish(const std::string& done_reason, const Usage& usage) {
  std::vector<Event> out;
  close(out);
  Json delta = {{"stop_reason", stop_reason(done_reason, used_tools_)}, {"stop_sequence", nullptr}};
  out.push_back(
      Event{"message_delta",
            event_data("message_delta", {{"delta", delta}, {"usage", usage_json(usage)}})});
  out.push_back(Event{"message_stop", event_data("message_stop", Json::object())});
  return out;
}

Json error_body(int http_status, const std::string& message) {
  const char* type = "api_error";
  switch (http_status) {
    case 400:
      type = "invalid_request_error";
      break;
    case 401:
      type = "authentication_error";
      break;
    case 403:
      type = "permission_error";
      break;
    case 404:
      type = "not_found_error";
      break;
    case 413:
      type = "request_too_large";
      break;
    case 429:
      type = "rate_limit_error";
      break;
    case 503:
    case 529:
      type = "overloaded_error";
      break;
    default:
      break;
  }
  return Json{{"type", "error"}, {"error", Json{{"type", type}, {"message", message}}}};
}

}  // namespace cria::api::anthropic
