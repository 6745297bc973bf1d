#include "sched/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/core.h>
#include <httplib.h>

#include "base/log.h"
#include "sched/ndjson.h"

namespace cria::sched {

namespace {

using Clock = std::chrono::steady_clock;
using ProgressFn = std::function<void(const std::string& name, float fraction)>;

// The deadline of a load: `timeout` after the start or the last progress; none when the
// timeout is zero or negative (as Ollama's OLLAMA_LOAD_TIMEOUT) or too large to add.
class StallTimer {
 public:
  explicit StallTimer(Nanos timeout) : timeout_(timeout) { restart(); }

  void restart() {
    const auto now = Clock::now();
    const bool unlimited = timeout_.count() <= 0 || timeout_ >= Clock::time_point::max() - now;
    deadline_ = unlimited ? Clock::time_point::max()
                          : now + std::chrono::duration_cast<Clock::duration>(timeout_);
  }

  // Milliseconds left, at most `cap`; 0 once the deadline has passed.
  int wait_ms(int cap) const {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    return static_cast<int>(std::clamp<int64_t>(left, 0, cap));
  }

  bool expired() const { return Clock::now() >= deadline_; }
  Nanos timeout() const { return timeout_; }

 private:
  Nanos timeout_;
  Clock::time_point deadline_;
};

// "300ms", "90s", "5m".
std::string duration_text(Nanos d) {
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
  if (ms % 1000 != 0) return fmt::format("{}ms", ms);
  const int64_t s = ms / 1000;
  if (s % 60 != 0) return fmt::format("{}s", s);
  return fmt::format("{}m", s / 60);
}

// The fraction of a "progress F" line (clamped to 0..1), or nothing for another line.
std::optional<float> parse_progress(const std::string& line) {
  float f = 0.0f;
  char extra = 0;
  if (std::sscanf(line.c_str(), "progress %f %c", &f, &extra) != 1 || !std::isfinite(f))
    return std::nullopt;
  return std::clamp(f, 0.0f, 1.0f);
}

std::vector<std::string> runner_args(const ProcessRunnerOptions& po, const LoadSpec& spec) {
  std::vector<std::string> args = {po.executable.empty() ? "/proc/self/exe" : po.executable,
                                   "runner",
                                   "--model",
                                   spec.model_path,
                                   "--port",
                                   "0",
                                   "--ctx",
                                   std::to_string(spec.options.num_ctx),
                                   "--batch",
                                   std::to_string(spec.options.num_batch),
                                   "--parallel",
                                   std::to_string(spec.num_parallel)};
  if (spec.options.num_thread > 0) {
    args.push_back("--threads");
    args.push_back(std::to_string(spec.options.num_thread));
  }
  if (!spec.options.use_mmap) args.push_back("--no-mmap");
  if (!po.compute_lock.empty()) {
    args.push_back("--compute-lock");
    args.push_back(po.compute_lock);
  }
  args.insert(args.end(), po.extra_args.begin(), po.extra_args.end());
  return args;
}

// A child process with its stdout (the port line) and stderr (its log) piped to us.
struct Child {
  pid_t pid = -1;
  int out_fd = -1;
  int err_fd = -1;
};

Result<Child> spawn(const std::vector<std::string>& args) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0)
    return make_error(Errc::kIo, fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  std::vector<char*> argv;
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return make_error(Errc::kIo, fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  return Child{pid, out[0], err[0]};
}

class ProcessRunner final : public Runner {
 public:
  ProcessRunner(Child child, std::string name) : child_(child), name_(std::move(name)) {
    stderr_thread_ = std::thread([this] { forward_stderr(); });
  }

  ~ProcessRunner() override {
    if (child_.pid > 0 && alive()) {  // once reaped, the pid may belong to another process
      kill(child_.pid, SIGTERM);
      if (!wait_exit(std::chrono::seconds(5))) {
        kill(child_.pid, SIGKILL);
        wait_exit(std::chrono::seconds(5));
      }
    }
    if (stderr_thread_.joinable()) stderr_thread_.join();
    if (child_.out_fd >= 0) close(child_.out_fd);
  }

  // Waits for the port line, restarting the stall timer on each progress line that moves
  // forward, then for the first health answer. A stalled runner is killed.
  Status wait_ready(Nanos stall_timeout, const ProgressFn& on_progress) {
    StallTimer timer(stall_timeout);
    CRIA_ASSIGN_OR_RETURN(port_, read_port(timer, on_progress));
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(std::chrono::seconds(30));
    auto res = cli.Get("/health");
    if (!res || res->status != 200) return died_error("the runner did not answer /health");
    Json h = Json::parse(res->body, nullptr, false);
    if (h.is_discarded()) return make_error(Errc::kInternal, "bad /health answer from runner");
    memory_ = h["memory"].value("total", uint64_t{0});
    n_ctx_ = h.value("n_ctx", int64_t{0});
    return {};
  }

  Status complete(const Json& request, const ChunkFn& on_chunk) override {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(std::chrono::hours(1));
    httplib::Request req;
    req.method = "POST";
    req.path = "/completion";
    req.body = request.dump();
    req.set_header("Content-Type", "application/json");
    NdjsonSplitter lines;
    bool cancelled = false;
    Status bad_line;
    int status = 0;
    std::string error_body;
    req.response_handler = [&](const httplib::Response& r) {
      status = r.status;
      return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      if (status != 200) {  // an error answer: keep its body for the message
        error_body.append(data, n);
        return true;
      }
      bool keep = lines.push(std::string_view(data, n), [&](const Json& j) {
        if (!on_chunk(j)) cancelled = true;
        return !cancelled;
      });
      if (!keep && !cancelled) bad_line = make_error(Errc::kInternal, "bad line from runner");
      return keep;
    };
    httplib::Response res;
    httplib::Error err = httplib::Error::Success;
    bool sent = cli.send(req, res, err);
    if (cancelled) return {};
    if (!bad_line.ok()) return bad_line;
    if (!sent) return died_error(fmt::format("lost the runner ({})", httplib::to_string(err)));
    if (res.status != 200) {
      Json e = Json::parse(error_body, nullptr, false);
      std::string msg = e.is_object() ? e.value("error", error_body) : error_body;
      if (msg.empty()) msg = fmt::format("the runner answered {}", res.status);
      return make_error(res.status == 400 ? Errc::kInvalidArgument : Errc::kInternal, msg);
    }
    return {};
  }

  Result<Json> embed(const Json& request) override { return post("/embedding", request); }

  Result<std::vector<int32_t>> tokenize(const std::string& text, bool add_special) override {
    CRIA_ASSIGN_OR_RETURN(Json j,
                          post("/tokenize", {{"content", text}, {"add_special", add_special}}));
    return j.value("tokens", std::vector<int32_t>{});
  }

  Result<std::string> detokenize(const std::vector<int32_t>& tokens) override {
    CRIA_ASSIGN_OR_RETURN(Json j, post("/detokenize", {{"tokens", tokens}}));
    return j.value("content", std::string());
  }

  bool alive() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (exited_) return false;
    int status = 0;
    if (waitpid(child_.pid, &status, WNOHANG) == child_.pid) {
      exited_ = true;
      exit_status_ = status;
    }
    return !exited_;
  }

  uint64_t memory_bytes() const override { return memory_; }
  int64_t context_length() const override { return n_ctx_; }

 private:
  Result<Json> post(const char* path, const Json& body) {
    httplib::Client cli("127.0.0.1", port_);
    cli.set_read_timeout(std::chrono::minutes(5));
    auto res = cli.Post(path, body.dump(), "application/json");
    if (!res)
      return died_error(fmt::format("lost the runner ({})", httplib::to_string(res.error())));
    Json j = Json::parse(res->body, nullptr, false);
    if (res->status == 400 && j.is_object() && j.contains("error")) {
      return make_error(Errc::kInvalidArgument, j.value("error", res->body));
    }
    if (res->status != 200 || j.is_discarded())
      return make_error(Errc::kInternal, "runner error: " + res->body);
    return j;
  }

  // Reads the runner's stdout up to its port line, following its progress lines.
  Result<int> read_port(StallTimer& timer, const ProgressFn& on_progress) {
    std::string line;
    while (true) {
      CRIA_RETURN_IF_ERROR(read_line(timer, line));
      if (std::optional<float> p = parse_progress(line)) {
        if (*p > progress_) {
          progress_ = *p;
          timer.restart();
          if (on_progress) on_progress(name_, progress_);
        }
        continue;
      }
      int port = 0;
      if (std::sscanf(line.c_str(), "listening on 127.0.0.1:%d", &port) == 1 && port > 0)
        return port;
      return make_error(Errc::kInternal, "the runner printed an unexpected line: " + line);
    }
  }

  // One line of the runner's stdout, without its newline; a stall error (the runner
  // killed) once the timer expires first.
  Status read_line(const StallTimer& timer, std::string& line) {
    line.clear();
    char c = 0;
    while (true) {
      if (timer.expired()) return stalled_error(timer.timeout());
      pollfd p{child_.out_fd, POLLIN, 0};
      int r = poll(&p, 1, timer.wait_ms(1000));
      if (r < 0 && errno != EINTR) return make_error(Errc::kIo, "poll failed");
      if (r <= 0) continue;
      ssize_t n = read(child_.out_fd, &c, 1);
      if (n <= 0) return died_error("the model runner exited while loading");
      if (c == '\n') return {};
      line += c;
    }
  }

  Error stalled_error(Nanos timeout) {
    kill(child_.pid, SIGKILL);
    return make_error(
        Errc::kUnavailable,
        fmt::format("timed out waiting for the runner to load the model: progress {}%, then "
                    "none for {}; set OLLAMA_LOAD_TIMEOUT to a longer duration to allow this",
                    static_cast<int>(progress_ * 100.0f), duration_text(timeout)));
  }

  bool wait_exit(std::chrono::seconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (!alive()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  Error died_error(const std::string& what) {
    // Wait a little for the exit and the end of its log, which holds the reason.
    for (int i = 0; i < 50 && (alive() || !stderr_closed()); ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::lock_guard<std::mutex> lock(mu_);
    std::string detail = last_error_.empty() ? "" : ": " + last_error_;
    if (exited_) {
      return make_error(Errc::kUnavailable,
                        fmt::format("model runner has unexpectedly stopped ({}){}", what, detail));
    }
    return make_error(Errc::kUnavailable, what + detail);
  }

  // Copies the child's log to ours, line by line, remembering its last "Error:" line.
  void forward_stderr() {
    std::string line;
    char buf[4096];
    ssize_t n;
    while ((n = read(child_.err_fd, buf, sizeof buf)) > 0) {
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] != '\n') {
          line += buf[i];
          continue;
        }
        std::fprintf(stderr, "[runner %s] %s\n", name_.c_str(), line.c_str());
        if (line.rfind("Error: ", 0) == 0) {
          std::lock_guard<std::mutex> lock(mu_);
          last_error_ = line.substr(7);
        }
        line.clear();
      }
    }
    close(child_.err_fd);
    std::lock_guard<std::mutex> lock(mu_);
    stderr_closed_ = true;
  }

  bool stderr_closed() {
    std::lock_guard<std::mutex> lock(mu_);
    return stderr_closed_;
  }

  Child child_;
  std::string name_;
  std::thread stderr_thread_;
  int port_ = 0;
  uint64_t memory_ = 0;
  int64_t n_ctx_ = 0;
  float progress_ = 0.0f;  // the last fraction loaded the runner reported
  std::mutex mu_;
  bool exited_ = false;
  int exit_status_ = 0;
  std::string last_error_;
  bool stderr_closed_ = false;
};

class ProcessRunnerFactory final : public RunnerFactory {
 public:
  explicit ProcessRunnerFactory(ProcessRunnerOptions o) : opt_(std::move(o)) {}

  Result<std::unique_ptr<Runner>> start(const LoadSpec& spec) override {
    CRIA_ASSIGN_OR_RETURN(Child child, spawn(runner_args(opt_, spec)));
    auto runner = std::make_unique<ProcessRunner>(child, spec.name);
    CRIA_RETURN_IF_ERROR(runner->wait_ready(opt_.load_timeout, opt_.on_progress));
    log::info("loaded {} ({} MiB)", spec.name, runner->memory_bytes() >> 20);
    return std::unique_ptr<Runner>(std::move(runner));
  }

 private:
  ProcessRunnerOptions opt_;
};

}  // namespace

std::unique_ptr<RunnerFactory> make_process_runner_factory(ProcessRunnerOptions options) {
  return std::make_unique<ProcessRunnerFactory>(std::move(options));
}

}  // namespace cria::sched
