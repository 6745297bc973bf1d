#include "template/chat.h"

namespace cria::tmpl {
namespace {

// Ollama's collate: system messages joined, consecutive same-role messages merged (except tool
// messages).
std::vector<Message> collate(const std::vector<Message>& msgs, std::string* system) {
  std::vector<Message> out;
  bool first_system = true;
  for (const auto& m : msgs) {
    if (m.role == "system") {
      if (!first_system) *system += "\n\n";
      *system += m.content;
      first_system = false;
    }
    if (!out.empty() && out.back().role == m.role && m.role != "tool") {
      out.back().content += "\n\n" + m.content;
    } else {
      out.push_back(m);
    }
  }
  return out;
}

void add_think(const Think& think, Json* data) {
  (*data)["Think"] = think.enabled;
  (*data)["ThinkLevel"] = think.level;
  (*data)["IsThinkSet"] = think.is_set;
}

// Old-style templates (.System/.Prompt/.Response): one execution per turn.
Result<std::string> render_legacy(const Template& t, const std::vector<Message>& messages,
                                  const Think& think, const ExecOptions& options) {
  std::string out, system, prompt, response;
  auto data = [&] {
    Json d = Json::object();
    d["System"] = system;
    d["Prompt"] = prompt;
    d["Response"] = response;
    add_think(think, &d);
    return d;
  };
  // Ollama appends {{ .Response }} to templates that mention neither .Messages nor .Response.
  bool append_response = !t.mentions("response");
  auto execute = [&](const Template& tt) -> Status {
    CRIA_ASSIGN_OR_RETURN(std::string s, tt.execute(data(), options));
    out += s;
    if (append_response) out += response;
    system.clear();
    prompt.clear();
    response.clear();
    return {};
  };
  for (const auto& m : messages) {
    if (m.role == "system") {
      if (!prompt.empty() || !response.empty()) CRIA_RETURN_IF_ERROR(execute(t));
      system = m.content;
    } else if (m.role == "user") {
      if (!response.empty()) CRIA_RETURN_IF_ERROR(execute(t));
      prompt = m.content;
    } else if (m.role == "assistant") {
      response = m.content;
    }
  }
  // The last turn stops after .Response, so that the model continues from there.
  CRIA_RETURN_IF_ERROR(execute(append_response ? t : t.cut_after_response()));
  if (out.size() > options.max_output)
    return make_error(Errc::kInvalidArgument, "template output exceeds the limit");
  return out;
}

}  // namespace

Think Think::from_level(std::string level) {
  bool on = level == "high" || level == "medium" || level == "low" || level == "max";
  return Think{true, on, std::move(level)};
}

Json message_json(const Message& m) {
  Json j = Json::object();
  j["role"] = m.role;
  j["content"] = m.content;
  j["thinking"] = m.thinking;
  Json calls = Json::array();
  for (const auto& c : m.tool_calls) {
    Json fn = Json::object();
    fn["index"] = c.index;
    fn["name"] = c.name;
    fn["arguments"] = c.arguments.is_null() ? Json::object() : c.arguments;
    calls.push_back(Json{{"id", c.id}, {"function", std::move(fn)}});
  }
  j["tool_calls"] = std::move(calls);
  j["tool_name"] = m.tool_name;
  j["tool_call_id"] = m.tool_call_id;
  return j;
}

Result<std::string> render_chat(const Template& t, const ChatInput& chat,
                                const ExecOptions& options) {
  std::string system;
  std::vector<Message> messages = collate(chat.messages, &system);
  if (!t.mentions("messages")) return render_legacy(t, messages, chat.think, options);
  Json data = Json::object();
  data["System"] = system;
  Json list = Json::array();
  for (const auto& m : messages) list.push_back(message_json(m));
  data["Messages"] = std::move(list);
  data["Tools"] = chat.tools.is_array() ? chat.tools : Json::array();
  data["Response"] = "";
  add_think(chat.think, &data);
  return t.execute(data, options);
}

Result<ChatPrompt> chat_prompt(const Template& t, const ChatInput& chat, int64_t num_ctx,
                               const TokenCounter& count, bool truncate,
                               const ExecOptions& options) {
  const auto& msgs = chat.messages;
  if (msgs.empty()) {
    CRIA_ASSIGN_OR_RETURN(std::string p, render_chat(t, chat, options));
    return ChatPrompt{std::move(p), 0};
  }
  size_t last = msgs.size() - 1;
  size_t keep_from = 0;
  auto input_from = [&](size_t i) {
    ChatInput in;
    in.tools = chat.tools;
    in.think = chat.think;
    for (size_t j = 0; j < i; ++j)
      if (msgs[j].role == "system") in.messages.push_back(msgs[j]);
    in.messages.insert(in.messages.end(), msgs.begin() + static_cast<long>(i), msgs.end());
    return in;
  };
  if (truncate) {
    for (size_t i = 0; i <= last; ++i) {
      CRIA_ASSIGN_OR_RETURN(std::string p, render_chat(t, input_from(i), options));
      CRIA_ASSIGN_OR_RETURN(int64_t n, count(p));
      if (n <= num_ctx || i == last) {
        keep_from = i;
        break;
      }
    }
  }
  CRIA_ASSIGN_OR_RETURN(std::string p, render_chat(t, input_from(keep_from), options));
  return ChatPrompt{std::move(p), keep_from};
}

ChatInput generate_as_chat(const GenerateInput& in) {
  ChatInput chat;
  chat.think = in.think;
  if (!in.system.empty()) chat.messages.push_back(Message{"system", in.system, "", {}, "", ""});
  chat.messages.insert(chat.messages.end(), in.history.begin(), in.history.end());
  chat.messages.push_back(Message{"user", in.prompt, "", {}, "", ""});
  return chat;
}

Result<std::string> render_generate(const Template& t, const GenerateInput& in,
                                    const ExecOptions& options) {
  if (!in.prompt.empty() && !in.suffix.empty()) {
    Json data = Json::object();
    data["Prompt"] = in.prompt;
    data["Suffix"] = in.suffix;
    data["Response"] = "";
    add_think(in.think, &data);
    return t.execute(data, options);
  }
  return render_chat(t, generate_as_chat(in), options);
}

}  // namespace cria::tmpl
