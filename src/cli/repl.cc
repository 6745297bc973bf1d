#include "cli/repl.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/core.h>

namespace cria::cli {

namespace {

std::atomic<bool> g_interrupted{false};

void on_sigint(int) {
  g_interrupted = true;
}

// One line from stdin; nullopt at end of input; "" with interrupted() set on Ctrl+C.
std::optional<std::string> read_line(const char* prompt) {
  std::fputs(prompt, stdout);
  std::fflush(stdout);
  std::string line;
  char c;
  for (;;) {
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) {
      if (g_interrupted) return std::string();
      continue;
    }
    if (n <= 0) return line.empty() ? std::nullopt : std::optional<std::string>(line);
    if (c == '\n') return line;
    line += c;
  }
}

Json parse_value(const std::string& v) {
  Json j = Json::parse(v, nullptr, false);
  if (!j.is_discarded() && (j.is_number() || j.is_boolean())) return j;
  return v;
}

const char* kHelp =
    "Available Commands:\n"
    "  /set            Set session variables\n"
    "  /show           Show model information\n"
    "  /load <model>   Load a session or model\n"
    "  /save <model>   Save your current session\n"
    "  /clear          Clear session context\n"
    "  /bye            Exit\n"
    "  /?, /help       Help for a command\n\n"
    "Use \"\"\" to begin a multi-line message.\n\n";

class Repl {
 public:
  Repl(const Config& c, ChatSession& s) : config_(c), session_(s) {}

  int run();

 private:
  // Returns false to leave.
  bool command(const std::string& line);
  void set(std::istringstream& in);
  void show(const std::string& what);
  void save(const std::string& name);
  void history(const std::string& line);
  std::optional<std::string> read_message();

  const Config& config_;
  ChatSession& session_;
  bool nohistory_ = false;
};

void Repl::history(const std::string& line) {
  if (nohistory_ || config_.nohistory || config_.home.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(config_.home + "/.ollama", ec);
  std::ofstream(config_.home + "/.ollama/history", std::ios::app) << line << "\n";
}

std::optional<std::string> Repl::read_message() {
  auto line = read_line(">>> ");
  if (!line || line->rfind("\"\"\"", 0) != 0) return line;
  std::string text = line->substr(3);
  if (text.size() >= 3 && text.compare(text.size() - 3, 3, "\"\"\"") == 0)
    return text.substr(0, text.size() - 3);
  for (;;) {
    auto more = read_line("... ");
    if (!more || g_interrupted) return more;
    size_t end = more->find("\"\"\"");
    if (end != std::string::npos) return text + "\n" + more->substr(0, end);
    text += "\n" + *more;
  }
}

void Repl::set(std::istringstream& in) {
  std::string what;
  in >> what;
  ChatSettings& s = session_.settings();
  std::string rest;
  std::getline(in, rest);
  rest.erase(0, rest.find_first_not_of(' '));
  if (what == "parameter") {
    std::istringstream p(rest);
    std::string name, value;
    p >> name;
    std::getline(p, value);
    value.erase(0, value.find_first_not_of(' '));
    if (name.empty() || value.empty()) {
      std::printf("Usage:\n  /set parameter <name> <value>\n");
      return;
    }
    if (name == "stop") {
      if (!s.options["stop"].is_array()) s.options["stop"] = Json::array();
      s.options["stop"].push_back(value);
    } else {
      s.options[name] = parse_value(value);
    }
    std::printf("Set parameter '%s' to '%s'\n", name.c_str(), value.c_str());
  } else if (what == "system") {
    if (rest.size() >= 2 && rest.front() == '"' && rest.back() == '"')
      rest = rest.substr(1, rest.size() - 2);
    s.system = rest;
    std::printf("Set system message.\n");
  } else if (what == "format") {
    s.format = rest;
    std::printf("Set format to '%s' mode.\n", rest.c_str());
  } else if (what == "noformat") {
    s.format.clear();
    std::printf("Disabled format.\n");
  } else if (what == "verbose" || what == "quiet") {
    s.verbose = what == "verbose";
    std::printf("Set '%s' mode.\n", what.c_str());
  } else if (what == "history" || what == "nohistory") {
    nohistory_ = what == "nohistory";
    std::printf("Set '%s' mode.\n", what.c_str());
  } else {
    std::printf("Unknown command '/set %s'. Type /? for help\n", what.c_str());
  }
}

void Repl::show(const std::string& what) {
  static const char* kFields[] = {"license", "modelfile", "parameters", "system", "template"};
  Client client(config_.host_addr);
  auto r = client.post("/api/show", {{"model", session_.settings().model}});
  if (!r.ok()) {
    std::printf("error: %s\n", r.error().message.c_str());
    return;
  }
  if (what == "info" || what.empty()) {
    Json d = r->value("details", Json::object());
    std::printf(
        "  Model\n    architecture        %s\n    parameters          %s\n"
        "    quantization        %s\n\n",
        r->value("model_info", Json::object()).value("general.architecture", "").c_str(),
        d.value("parameter_size", "").c_str(), d.value("quantization_level", "").c_str());
    return;
  }
  for (const char* f : kFields) {
    if (what != f) continue;
    std::string text = what == "system" && !session_.settings().system.empty()
                           ? session_.settings().system
                           : r->value(what, "");
    std::printf("%s\n", text.empty()
                            ? fmt::format("No {} was specified for this model.", what).c_str()
                            : text.c_str());
    return;
  }
  std::printf("Unknown command '/show %s'. Type /? for help\n", what.c_str());
}

void Repl::save(const std::string& name) {
  const ChatSettings& s = session_.settings();
  Json req = {{"model", name}, {"from", s.model}, {"stream", false}};
  if (!s.system.empty()) req["system"] = s.system;
  if (!s.options.empty()) req["parameters"] = s.options;
  if (!session_.messages().empty()) req["messages"] = session_.messages();
  auto r = Client(config_.host_addr).post("/api/create", req);
  if (!r.ok()) {
    std::printf("error: %s\n", r.error().message.c_str());
    return;
  }
  std::printf("Created new model '%s'\n", name.c_str());
}

bool Repl::command(const std::string& line) {
  std::istringstream in(line);
  std::string cmd, arg;
  in >> cmd;
  if (cmd == "/bye" || cmd == "/exit") return false;
  if (cmd == "/?" || cmd == "/help") {
    std::fputs(kHelp, stdout);
  } else if (cmd == "/set") {
    set(in);
  } else if (cmd == "/show") {
    in >> arg;
    show(arg);
  } else if (cmd == "/clear") {
    session_.clear();
    std::printf("Cleared session context\n");
  } else if (cmd == "/load" && (in >> arg)) {
    std::printf("Loading model '%s'\n", arg.c_str());
    std::string previous = session_.settings().model;
    session_.settings().model = arg;
    session_.clear();
    if (Status st = session_.load(); !st.ok()) {
      std::printf("error: %s\n", st.error().message.c_str());
      session_.settings().model = previous;
    }
  } else if (cmd == "/save" && (in >> arg)) {
    save(arg);
  } else {
    std::printf("Unknown command '%s'. Type /? for help\n", cmd.c_str());
  }
  return true;
}

int Repl::run() {
  for (;;) {
    g_interrupted = false;
    auto msg = read_message();
    if (!msg) {
      std::printf("\n");
      return 0;
    }
    if (g_interrupted) {
      std::printf("\nUse Ctrl + d or /bye to exit.\n");
      continue;
    }
    if (msg->empty()) continue;
    history(*msg);
    if ((*msg)[0] == '/') {
      if (!command(*msg)) return 0;
      continue;
    }
    Status st = session_.ask(*msg, g_interrupted);
    if (!st.ok()) std::printf("Error: %s\n", st.error().message.c_str());
  }
}

}  // namespace

std::atomic<bool>& interrupted() {
  return g_interrupted;
}

void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocked read returns EINTR
  sigaction(SIGINT, &sa, nullptr);
}

int repl(const Config& config, ChatSession& session) {
  install_interrupt_handler();
  return Repl(config, session).run();
}

}  // namespace cria::cli
