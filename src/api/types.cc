#include "api/types.h"

#include <ctime>

#include <fmt/core.h>

namespace cria::api {

Status parse_logprobs(const Json& body, int& top_logprobs);

namespace {

Error bad(const std::string& msg) {
  return make_error(Errc::kInvalidArgument, msg);
}

Status take_string(const Json& body, const char* key, std::string& dst) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_string()) return bad(fmt::format("\"{}\" must be a string", key));
  dst = it->get<std::string>();
  return {};
}

Status take_bool(const Json& body, const char* key, bool& dst) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_boolean()) return bad(fmt::format("\"{}\" must be true or false", key));
  dst = it->get<bool>();
  return {};
}

Status take_strings(const Json& body, const char* key, std::vector<std::string>& dst) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_array()) return bad(fmt::format("\"{}\" must be an array of strings", key));
  for (const Json& v : *it) {
    if (!v.is_string()) return bad(fmt::format("\"{}\" must be an array of strings", key));
    dst.push_back(v.get<std::string>());
  }
  return {};
}

Status parse_common(const Json& body, CommonRequest& r) {
  if (!body.is_object()) return bad("the request body must be a JSON object");
  CRIA_ASSIGN_OR_RETURN(r.model, request_model(body));
  CRIA_RETURN_IF_ERROR(take_bool(body, "stream", r.stream));
  if (auto it = body.find("format"); it != body.end()) {
    if (!it->is_null() && !it->is_string() && !it->is_object())
      return bad("\"format\" must be \"json\" or a JSON schema object");
    if (it->is_string() && !it->get<std::string>().empty() && it->get<std::string>() != "json")
      return bad(fmt::format("invalid format \"{}\": use \"json\" or a JSON schema",
                             it->get<std::string>()));
    r.format = *it;
  }
  if (auto it = body.find("keep_alive"); it != body.end()) {
    CRIA_ASSIGN_OR_RETURN(r.keep_alive, parse_keep_alive(*it));
  }
  if (auto it = body.find("options"); it != body.end() && !it->is_null()) {
    if (!it->is_object()) return bad("\"options\" must be a JSON object");
    r.options = *it;
  }
  if (auto it = body.find("think"); it != body.end() && !it->is_null()) {
    if (it->is_boolean()) {
      r.think = it->get<bool>();
    } else if (it->is_string()) {
      r.think = true;  // "low" / "medium" / "high": thinking on
    } else {
      return bad("\"think\" must be true, false or a level (\"low\", \"medium\", \"high\")");
    }
  }
  return parse_logprobs(body, r.top_logprobs);
}

Result<ToolCall> parse_tool_call(const Json& j, int64_t index) {
  ToolCall c;
  c.index = index;
  if (!j.is_object()) return bad("each tool call must be an object");
  CRIA_RETURN_IF_ERROR(take_string(j, "id", c.id));
  auto fn = j.find("function");
  if (fn == j.end() || !fn->is_object()) return bad("a tool call needs a \"function\" object");
  CRIA_RETURN_IF_ERROR(take_string(*fn, "name", c.name));
  if (auto idx = fn->find("index"); idx != fn->end() && idx->is_number_integer())
    c.index = idx->get<int64_t>();
  if (auto args = fn->find("arguments"); args != fn->end() && !args->is_null()) {
    if (args->is_string()) {
      Json parsed = Json::parse(args->get<std::string>(), nullptr, false);
      if (parsed.is_discarded()) return bad("tool call arguments must be a JSON object");
      c.arguments = parsed;
    } else if (args->is_object()) {
      c.arguments = *args;
    } else {
      return bad("tool call arguments must be a JSON object");
    }
  }
  return c;
}

Result<Message> parse_message(const Json& j) {
  Message m;
  if (!j.is_object()) return bad("each message must be a JSON object");
  CRIA_RETURN_IF_ERROR(take_string(j, "role", m.role));
  if (m.role.empty()) return bad("each message needs a \"role\"");
  CRIA_RETURN_IF_ERROR(take_string(j, "content", m.content));
  CRIA_RETURN_IF_ERROR(take_string(j, "thinking", m.thinking));
  CRIA_RETURN_IF_ERROR(take_strings(j, "images", m.images));
  CRIA_RETURN_IF_ERROR(take_string(j, "tool_name", m.tool_name));
  CRIA_RETURN_IF_ERROR(take_string(j, "tool_call_id", m.tool_call_id));
  if (auto it = j.find("tool_calls"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return bad("\"tool_calls\" must be an array");
    for (size_t i = 0; i < it->size(); ++i) {
      CRIA_ASSIGN_OR_RETURN(ToolCall c, parse_tool_call((*it)[i], static_cast<int64_t>(i)));
      m.tool_calls.push_back(std::move(c));
    }
  }
  return m;
}

}  // namespace

// "logprobs": true with "top_logprobs" 0..20 (0 when absent); top_logprobs alone is ignored,
// as Ollama ignores it.
Status parse_logprobs(const Json& body, int& top_logprobs) {
  bool want = false;
  CRIA_RETURN_IF_ERROR(take_bool(body, "logprobs", want));
  int64_t top = 0;
  if (auto it = body.find("top_logprobs"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0 ||
        it->get<int64_t>() > kMaxTopLogprobs) {
      return bad("top_logprobs must be between 0 and 20");
    }
    top = it->get<int64_t>();
  }
  top_logprobs = want ? static_cast<int>(top) : -1;
  return {};
}

Result<std::string> request_model(const Json& body) {
  std::string model;
  CRIA_RETURN_IF_ERROR(take_string(body, "model", model));
  if (model.empty()) CRIA_RETURN_IF_ERROR(take_string(body, "name", model));
  if (model.empty()) return bad("model is required");
  return model;
}

Result<std::optional<Nanos>> parse_keep_alive(const Json& v) {
  if (v.is_null()) return std::optional<Nanos>();
  if (v.is_number()) return std::optional<Nanos>(seconds_to_duration(v.get<double>()));
  if (v.is_string()) {
    CRIA_ASSIGN_OR_RETURN(Nanos d, parse_duration(v.get<std::string>()));
    return std::optional<Nanos>(d);
  }
  return bad("\"keep_alive\" must be a number of seconds or a duration string like \"5m\"");
}

Result<GenerateRequest> parse_generate(const Json& body) {
  GenerateRequest r;
  CRIA_RETURN_IF_ERROR(parse_common(body, r));
  CRIA_RETURN_IF_ERROR(take_string(body, "prompt", r.prompt));
  CRIA_RETURN_IF_ERROR(take_string(body, "suffix", r.suffix));
  CRIA_RETURN_IF_ERROR(take_string(body, "system", r.system));
  if (body.contains("template") && !body["template"].is_null()) r.has_template = true;
  CRIA_RETURN_IF_ERROR(take_string(body, "template", r.template_text));
  CRIA_RETURN_IF_ERROR(take_bool(body, "raw", r.raw));
  CRIA_RETURN_IF_ERROR(take_strings(body, "images", r.images));
  if (auto it = body.find("context"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return bad("\"context\" must be an array of token ids");
    for (const Json& t : *it) {
      if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() > INT32_MAX)
        return bad("\"context\" must be an array of token ids");
      r.context.push_back(static_cast<int32_t>(t.get<int64_t>()));
    }
  }
  return r;
}

Result<ChatRequest> parse_chat(const Json& body) {
  ChatRequest r;
  CRIA_RETURN_IF_ERROR(parse_common(body, r));
  if (auto it = body.find("messages"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return bad("\"messages\" must be an array");
    for (const Json& j : *it) {
      CRIA_ASSIGN_OR_RETURN(Message m, parse_message(j));
      r.messages.push_back(std::move(m));
    }
  }
  if (auto it = body.find("tools"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return bad("\"tools\" must be an array");
    r.tools = *it;
  }
  return r;
}

Json message_to_json(const Message& m) {
  Json j = {{"role", m.role}, {"content", m.content}};
  if (!m.thinking.empty()) j["thinking"] = m.thinking;
  if (!m.images.empty()) j["images"] = m.images;
  if (!m.tool_calls.empty()) {
    Json calls = Json::array();
    for (const ToolCall& c : m.tool_calls) {
      Json fn = {{"index", c.index}, {"name", c.name}, {"arguments", c.arguments}};
      Json call = Json::object();
      if (!c.id.empty()) call["id"] = c.id;
      call["function"] = fn;
      calls.push_back(call);
    }
    j["tool_calls"] = calls;
  }
  if (!m.tool_name.empty()) j["tool_name"] = m.tool_name;
  return j;
}

void add_metrics(Json& out, const Metrics& m) {
  out["total_duration"] = m.total.count();
  out["load_duration"] = m.load.count();
  out["prompt_eval_count"] = m.prompt_eval_count;
  out["prompt_eval_duration"] = m.prompt_eval.count();
  out["eval_count"] = m.eval_count;
  out["eval_duration"] = m.eval.count();
}

std::string format_time(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ns = duration_cast<nanoseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  long frac = static_cast<long>(ns % 1000000000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  long off = tm.tm_gmtoff / 60;
  std::string zone = off == 0 ? "Z"
                              : fmt::format("{}{:02}:{:02}", off < 0 ? '-' : '+',
                                            std::labs(off) / 60, std::labs(off) % 60);
  std::string nanos = fmt::format("{:09}", frac);
  while (!nanos.empty() && nanos.back() == '0') nanos.pop_back();
  return fmt::format("{}{}{}{}", date, nanos.empty() ? "" : ".", nanos, zone);
}

Json error_json(const std::string& message) {
  return Json{{"error", message}};
}

}  // namespace cria::api
