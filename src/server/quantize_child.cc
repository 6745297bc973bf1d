#include "server/quantize_child.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <vector>

#include <fmt/core.h>

extern char** environ;

namespace cria::server {

namespace {

// Runs argv with stdout piped to on_line; returns the exit status.
Result<int> run_child(const std::vector<std::string>& args,
                      const std::function<void(const std::string&)>& on_line) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return make_error(Errc::kIo, "cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDERR_FILENO);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return make_error(Errc::kIo, fmt::format("cannot start {}: {}", args[0], std::strerror(rc)));
  }
  std::string line;
  char buf[512];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) {
    for (ssize_t i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        on_line(line);
        line.clear();
      } else {
        line += buf[i];
      }
    }
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

Result<store::Digest> quantize_blob(App& app, const std::string& blob_path, const std::string& type,
                                    const store::ProgressFn& progress) {
  std::string out = fmt::format("{}/quantize-{}.partial", app.store.blobs_dir(), getpid());
  std::string error;
  auto rc = run_child({"/proc/self/exe", "quantize", "--input", blob_path, "--output", out,
                       "--type", type, "--progress"},
                      [&](const std::string& line) {
                        long done = 0, total = 0;
                        if (std::sscanf(line.c_str(), "progress %ld %ld", &done, &total) == 2) {
                          if (progress)
                            progress({.status = "quantizing model tensors",
                                      .digest = "",
                                      .total = total,
                                      .completed = done});
                        } else if (line.rfind("Error: ", 0) == 0) {
                          error = line.substr(7);
                        }
                      });
  if (!rc.ok()) return std::move(rc).error();
  if (*rc != 0) {
    std::remove(out.c_str());
    return make_error(
        Errc::kInvalidArgument,
        error.empty() ? fmt::format("quantization failed (exit status {})", *rc) : error);
  }
  auto digest = app.store.import_file(out);
  std::remove(out.c_str());
  return digest;
}

}  // namespace cria::server
