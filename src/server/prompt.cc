#include "server/prompt.h"

#include <map>
#include <mutex>

#include "server/model_info.h"
#include "template/chat.h"
#include "template/library.h"

namespace cria::server {

namespace {

tmpl::Message to_tmpl(const api::Message& m) {
  tmpl::Message t;
  t.role = m.role;
  t.content = m.content;
  t.thinking = m.thinking;
  t.tool_name = m.tool_name;
  t.tool_call_id = m.tool_call_id;
  for (const auto& c : m.tool_calls)
    t.tool_calls.push_back({c.id, c.name, c.arguments, static_cast<int>(c.index)});
  return t;
}

std::vector<tmpl::Message> model_messages(const store::Model& model) {
  std::vector<tmpl::Message> out;
  for (const auto& m : model.messages) {
    tmpl::Message t;
    t.role = m.value("role", "");
    t.content = m.value("content", "");
    out.push_back(std::move(t));
  }
  return out;
}

tmpl::Think think(const std::optional<bool>& t) {
  return t ? tmpl::Think::from_bool(*t) : tmpl::Think{};
}

}  // namespace

std::optional<store::DetectedTemplate> detect_template(std::string_view chat_template) {
  if (chat_template.empty()) return std::nullopt;
  tmpl::TemplateChoice choice = tmpl::pick_template(chat_template);
  if (choice.fallback) return std::nullopt;
  store::DetectedTemplate d;
  d.name = choice.name;
  d.text = choice.text;
  if (const tmpl::BuiltinTemplate* b = tmpl::find_builtin(choice.name); b && !b->stop.empty()) {
    store::Json stops = store::Json::array();
    for (auto s : b->stop) stops.push_back(std::string(s));
    d.params = store::Json{{"stop", stops}};
  }
  return d;
}

namespace {

Result<ModelTemplate> load_model_template(const store::Model& model) {
  ModelTemplate out;
  std::string text;
  if (model.template_text) {
    text = *model.template_text;
  } else {
    CRIA_ASSIGN_OR_RETURN(ModelInfo info, read_model_info(model.model_path, false));
    tmpl::TemplateChoice choice = tmpl::pick_template(info.chat_template);
    text = choice.text;
    out.builtin = choice.name;
    if (const tmpl::BuiltinTemplate* b = tmpl::find_builtin(choice.name))
      for (auto s : b->stop) out.stop.emplace_back(s);
  }
  CRIA_ASSIGN_OR_RETURN(out.tmpl, tmpl::Template::parse(text));
  return out;
}

}  // namespace

Result<ModelTemplate> model_template(const store::Model& model) {
  // Parsed once per template: a request renders the prompt and picks the output parser from
  // it, a forced tool call again. Keyed by the TEMPLATE text, else by the model file (whose
  // name is its digest), so an edited model gets its new template.
  static std::mutex mu;
  static std::map<std::string, ModelTemplate> cache;
  constexpr size_t kMaxTemplates = 64;
  const std::string key =
      model.template_text ? "text:" + *model.template_text : "file:" + model.model_path;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  CRIA_ASSIGN_OR_RETURN(ModelTemplate mt, load_model_template(model));
  std::lock_guard<std::mutex> lock(mu);
  if (cache.size() >= kMaxTemplates) cache.clear();
  cache.emplace(key, mt);
  return mt;
}

Result<std::string> render_generate(const store::Model& model, const api::GenerateRequest& r) {
  tmpl::Template t;
  if (r.has_template && !r.template_text.empty()) {
    CRIA_ASSIGN_OR_RETURN(t, tmpl::Template::parse(r.template_text));
  } else {
    CRIA_ASSIGN_OR_RETURN(ModelTemplate mt, model_template(model));
    t = std::move(mt.tmpl);
  }
  tmpl::GenerateInput in;
  in.system = r.system.empty() ? model.system : r.system;
  in.history = model_messages(model);
  in.prompt = r.prompt;
  in.suffix = r.suffix;
  in.think = think(r.think);
  return tmpl::render_generate(t, in);
}

Result<std::string> render_chat(const store::Model& model, const api::Options& options,
                                const api::ChatRequest& r, const TokenCounter& count) {
  CRIA_ASSIGN_OR_RETURN(ModelTemplate mt, model_template(model));
  const tmpl::Template& t = mt.tmpl;
  tmpl::ChatInput chat;
  bool has_system = false;
  for (const auto& m : r.messages) has_system = has_system || m.role == "system";
  if (!has_system && !model.system.empty()) {
    tmpl::Message sys;
    sys.role = "system";
    sys.content = model.system;
    chat.messages.push_back(std::move(sys));
  }
  for (auto& m : model_messages(model)) chat.messages.push_back(std::move(m));
  for (const auto& m : r.messages) chat.messages.push_back(to_tmpl(m));
  chat.tools = r.tools;
  chat.think = think(r.think);
  CRIA_ASSIGN_OR_RETURN(tmpl::ChatPrompt p, tmpl::chat_prompt(t, chat, options.num_ctx, count));
  return p.prompt;
}

}  // namespace cria::server
