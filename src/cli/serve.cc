// `cria serve`, and the child-process commands the server starts:
// `cria runner` (one loaded model) and `cria quantize` (create --quantize).
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <thread>

#include <fmt/core.h>

#include "base/log.h"
#include "cli/commands.h"
#include "cli/engine_config.h"
#include "cli/flags.h"
#include "quantize/quantize.h"
#include "runner/server.h"
#include "server/server.h"
#include "store/store.h"

namespace cria::cli {

namespace {

std::atomic<bool> g_stop{false};

void on_signal(int) {
  g_stop = true;
}

void prune_store(const Config& config) {
  if (config.noprune) return;
  store::Store s(config.models_dir);
  auto report = s.prune();
  if (!report.ok()) {
    log::warn("could not prune the model store: {}", report.error().message);
  } else if (report->blobs_removed > 0) {
    log::info("pruned {} unused blobs ({} bytes)", report->blobs_removed, report->bytes_freed);
  }
}

}  // namespace

int cmd_serve(const Config& config, const Args& args) {
  if (!args.empty()) return usage_error("serve takes no arguments", "cria serve");
  prune_store(config);
  server::Server s(config);
  auto port = s.bind();
  if (!port.ok()) return fail(port.error());
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  std::atomic<bool> done{false};
  // Stops the server from a normal thread: a signal handler may only set a flag.
  std::thread watcher([&] {
    while (!done && !g_stop) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (g_stop) log::info("shutting down");
    s.stop();
  });
  log::info("Listening on {}:{} (cria {}, models in {})",
            config.host_addr.host.empty() ? "0.0.0.0" : config.host_addr.host, *port, CRIA_VERSION,
            config.models_dir);
  bool ok = s.listen();
  done = true;
  watcher.join();
  return ok || g_stop ? 0 : 1;
}

int cmd_runner(const Config& config, const Args& args) {
  constexpr const char* kUsage =
      "cria runner --model PATH [--port 0] [--ctx 4096] [--batch 512] [--parallel 1] [--threads N] "
      "[--no-mmap]";
  runner::RunnerOptions o;
  o.context = context_options(config);
  Flags f(args);
  while (!f.done()) {
    if (auto v = f.take("--model")) {
      o.model_path = *v;
    } else if (auto p = f.take("--port")) {
      auto n = parse_int("--port", *p);
      if (!n.ok()) return fail(n.error());
      o.port = static_cast<int>(*n);
    } else if (auto c = f.take("--ctx")) {
      auto n = parse_int("--ctx", *c);
      if (!n.ok()) return fail(n.error());
      o.context.n_ctx = static_cast<int32_t>(*n);
    } else if (auto b = f.take("--batch")) {
      auto n = parse_int("--batch", *b);
      if (!n.ok()) return fail(n.error());
      o.context.n_batch = static_cast<int32_t>(*n);
    } else if (auto par = f.take("--parallel")) {
      auto n = parse_int("--parallel", *par);
      if (!n.ok()) return fail(n.error());
      if (*n < 1 || *n > 256) return usage_error("--parallel must be from 1 to 256", kUsage);
      o.parallel = static_cast<int>(*n);
    } else if (auto t = f.take("--threads")) {
      auto n = parse_int("--threads", *t);
      if (!n.ok()) return fail(n.error());
      o.context.n_threads = static_cast<int>(*n);
    } else if (auto lock = f.take("--compute-lock")) {
      o.compute_lock = *lock;
    } else if (f.take_switch("--no-mmap")) {
      o.context.use_mmap = false;
    } else {
      return usage_error(fmt::format("unexpected argument '{}'", f.peek()), kUsage);
    }
  }
  if (o.model_path.empty()) return usage_error("runner needs --model PATH", kUsage);
  return runner::serve(o);
}

int cmd_quantize(const Config& config, const Args& args) {
  constexpr const char* kUsage =
      "cria quantize --input F16.gguf --output OUT.gguf --type q4_K_M [--progress]";
  quantize::QuantizeOptions o;
  o.threads = config.num_threads;
  bool progress = false;
  Flags f(args);
  while (!f.done()) {
    if (auto i = f.take("--input")) {
      o.input = *i;
    } else if (auto out = f.take("--output")) {
      o.output = *out;
    } else if (auto t = f.take("--type")) {
      o.type = *t;
    } else if (f.take_switch("--progress")) {
      progress = true;
    } else {
      return usage_error(fmt::format("unexpected argument '{}'", f.peek()), kUsage);
    }
  }
  if (o.input.empty() || o.output.empty() || o.type.empty())
    return usage_error("quantize needs --input, --output and --type", kUsage);
  if (progress) {
    o.progress = [](size_t done, size_t total) {
      std::printf("progress %zu %zu\n", done, total);
      std::fflush(stdout);
    };
  }
  auto report = quantize::quantize_gguf(o);
  if (!report.ok()) return fail(report.error());
  if (!progress)
    std::printf("quantized %zu of %zu tensors\n", report->n_converted, report->n_tensors);
  return 0;
}

}  // namespace cria::cli
