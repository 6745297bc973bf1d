// `cria run MODEL [PROMPT]`: one answer for a prompt (or piped stdin), or the
// interactive REPL. Starts `cria serve` in the background when no server answers.
// MODEL may be a path to a .gguf file, which runs without being imported.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <thread>

#include <fmt/core.h>

#include "cli/chat_session.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/pull_cmd.h"
#include "cli/repl.h"

namespace cria::cli {

namespace {

constexpr const char* kUsage =
    "cria run MODEL [PROMPT] [--verbose] [--format json] [--keepalive 5m] [--nowordwrap] "
    "[--insecure]";

struct RunOptions {
  ChatSettings chat;
  std::string prompt;
  bool insecure = false;  // for the pull of a missing model
};

Result<RunOptions> parse(const Args& args) {
  RunOptions o;
  Flags f(args);
  while (!f.done()) {
    if (f.take_switch("--verbose")) {
      o.chat.verbose = true;
    } else if (auto v = f.take("--format")) {
      o.chat.format = *v;
    } else if (auto k = f.take("--keepalive")) {
      o.chat.keep_alive = *k;
    } else if (f.take_switch("--insecure")) {
      o.insecure = true;
    } else if (f.take_switch("--nowordwrap") || f.take_switch("--think") ||
               f.take_switch("--hidethinking")) {
    } else if (o.chat.model.empty() && f.peek()[0] != '-') {
      o.chat.model = f.next();
    } else if (!o.chat.model.empty() && f.peek()[0] != '-') {
      o.prompt += (o.prompt.empty() ? "" : " ") + f.next();
    } else {
      return make_error(Errc::kInvalidArgument, fmt::format("unexpected argument '{}'", f.peek()));
    }
  }
  if (o.chat.model.empty()) return make_error(Errc::kInvalidArgument, "run needs a MODEL");
  if (!o.chat.format.empty() && o.chat.format != "json")
    return make_error(Errc::kInvalidArgument, "--format must be \"json\"");
  return o;
}

// Starts `cria serve` detached, its log in ~/.ollama/logs/server.log.
Status start_server(const Config& config) {
  std::string log_path = "/dev/null";
  if (!config.home.empty()) {
    std::filesystem::create_directories(config.home + "/.ollama/logs");
    log_path = config.home + "/.ollama/logs/server.log";
  }
  pid_t pid = fork();
  if (pid < 0) return make_error(Errc::kIo, "cannot start the server (fork failed)");
  if (pid == 0) {
    setsid();
    int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int null_fd = open("/dev/null", O_RDONLY);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
    }
    if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
    execl("/proc/self/exe", "cria", "serve", static_cast<char*>(nullptr));
    _exit(127);
  }
  return {};
}

Status ensure_server(const Config& config, const Client& client) {
  if (client.ping()) return {};
  CRIA_RETURN_IF_ERROR(start_server(config));
  for (int i = 0; i < 300; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (client.ping()) return {};
  }
  return make_error(Errc::kUnavailable,
                    fmt::format("the server did not start on {}; see ~/.ollama/logs/server.log",
                                config.host_addr.url()));
}

// As Ollama's run: a model the server does not have is pulled first.
Status ensure_model(const Client& client, const RunOptions& o) {
  const std::string& model = o.chat.model;
  if (!model.empty() && model[0] == '/') return {};  // a .gguf file
  auto shown = client.post("/api/show", Json{{"model", model}});
  if (shown.ok() || shown.error().code != Errc::kNotFound) return {};
  return transfer_with_progress(client, "/api/pull", model, o.insecure);
}

}  // namespace

int cmd_run(const Config& config, const Args& args) {
  auto o = parse(args);
  if (!o.ok()) return usage_error(o.error().message, kUsage);
  std::string& model = o->chat.model;
  if (model.size() > 5 && model.compare(model.size() - 5, 5, ".gguf") == 0 &&
      std::filesystem::is_regular_file(model)) {
    model = std::filesystem::absolute(model).string();
  }
  const bool piped = !isatty(STDIN_FILENO);
  if (piped) {
    std::string in((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    if (!in.empty()) o->prompt = o->prompt.empty() ? in : in + "\n\n" + o->prompt;
  }
  Client client(config.host_addr);
  if (Status st = ensure_server(config, client); !st.ok()) return fail(st.error());
  if (Status st = ensure_model(client, *o); !st.ok()) return fail(st.error());
  ChatSession session(client, o->chat);
  if (Status st = session.load(); !st.ok()) return fail(st.error());
  if (!o->prompt.empty() || piped) {
    install_interrupt_handler();
    Status st = session.ask(o->prompt, interrupted());
    return st.ok() ? 0 : fail(st.error());
  }
  return repl(config, session);
}

}  // namespace cria::cli
