#include "cli/chat_session.h"

#include <cstdio>

#include <fmt/core.h>

namespace cria::cli {

std::string go_duration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  uint64_t u = static_cast<uint64_t>(ns < 0 ? -ns : ns);
  auto trim = [](std::string s) {
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0') s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s;
  };
  if (u < 1000) return fmt::format("{}{}ns", sign, u);
  if (u < 1000000) return sign + trim(fmt::format("{:.3f}", static_cast<double>(u) / 1e3)) + "µs";
  if (u < 1000000000)
    return sign + trim(fmt::format("{:.6f}", static_cast<double>(u) / 1e6)) + "ms";
  uint64_t h = u / 3600000000000ULL, m = (u / 60000000000ULL) % 60;
  double s = static_cast<double>(u % 60000000000ULL) / 1e9;
  std::string out = sign;
  if (h) out += fmt::format("{}h", h);
  if (h || m) out += fmt::format("{}m", m);
  return out + trim(fmt::format("{:.9f}", s)) + "s";
}

std::string format_stats(const Json& d) {
  auto ns = [&](const char* k) { return d.value(k, int64_t{0}); };
  auto rate = [](int64_t count, int64_t dur) {
    return dur > 0 ? static_cast<double>(count) / (static_cast<double>(dur) / 1e9) : 0.0;
  };
  std::string out;
  out += fmt::format("total duration:       {}\n", go_duration(ns("total_duration")));
  out += fmt::format("load duration:        {}\n", go_duration(ns("load_duration")));
  out += fmt::format("prompt eval count:    {} token(s)\n", ns("prompt_eval_count"));
  out += fmt::format("prompt eval duration: {}\n", go_duration(ns("prompt_eval_duration")));
  out += fmt::format("prompt eval rate:     {:.2f} tokens/s\n",
                     rate(ns("prompt_eval_count"), ns("prompt_eval_duration")));
  out += fmt::format("eval count:           {} token(s)\n", ns("eval_count"));
  out += fmt::format("eval duration:        {}\n", go_duration(ns("eval_duration")));
  out += fmt::format("eval rate:            {:.2f} tokens/s\n",
                     rate(ns("eval_count"), ns("eval_duration")));
  return out;
}

Json ChatSession::request(bool with_messages) const {
  Json j = {{"model", s_.model}, {"stream", true}};
  Json msgs = Json::array();
  if (with_messages) {
    if (!s_.system.empty()) msgs.push_back(Json{{"role", "system"}, {"content", s_.system}});
    for (const Json& m : messages_) msgs.push_back(m);
  }
  j["messages"] = msgs;
  if (!s_.options.empty()) j["options"] = s_.options;
  if (!s_.format.empty()) j["format"] = s_.format;
  if (!s_.keep_alive.is_null()) j["keep_alive"] = s_.keep_alive;
  return j;
}

Status ChatSession::load() {
  return client_.stream("/api/chat", request(false), [](const Json&) { return true; });
}

Status ChatSession::ask(const std::string& text, const std::atomic<bool>& cancel) {
  messages_.push_back(Json{{"role", "user"}, {"content", text}});
  std::string answer;
  Json done;
  Status st = client_.stream("/api/chat", request(true), [&](const Json& line) {
    if (cancel) return false;
    std::string piece = line.value("message", Json::object()).value("content", "");
    answer += piece;
    std::fputs(piece.c_str(), stdout);
    std::fflush(stdout);
    if (line.value("done", false)) done = line;
    return true;
  });
  messages_.push_back(Json{{"role", "assistant"}, {"content", answer}});
  std::printf("\n");
  if (!st.ok()) return st;
  if (!cancel) std::printf("\n");
  if (s_.verbose && done.is_object()) std::fputs(format_stats(done).c_str(), stderr);
  return {};
}

}  // namespace cria::cli
