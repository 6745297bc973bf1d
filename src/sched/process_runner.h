// Runners as child processes: `cria runner --model F --port 0 ...` started from
// this executable, talked to over loopback HTTP (see runner/server.h for the
// protocol). A child that crashes (a ggml abort, the OOM killer) only fails the
// requests it was serving; the scheduler notices and reports it.
//
// While it loads, the runner prints "progress F" lines (F: 0..1) and then its port line
// on stdout. load_timeout is a stall timeout, as Ollama's OLLAMA_LOAD_TIMEOUT: a load
// fails only when it goes that long without progress, so a large model that keeps
// loading may take longer in all.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/duration.h"
#include "sched/runner.h"

namespace cria::sched {

struct ProcessRunnerOptions {
  std::string executable;  // the cria binary; "" = /proc/self/exe
  // How long a load may go without progress before the runner is killed; each progress
  // line that moves the fraction forward starts it again. Zero or negative: no limit.
  Nanos load_timeout = std::chrono::minutes(5);
  std::vector<std::string> extra_args;  // appended to the runner's command line
  // A file the runners lock around each batch so that they take turns on the CPU
  // (runner/compute_gate.h); "": none.
  std::string compute_lock;
  // Called with the model's name and the fraction loaded each time a loading runner
  // reports progress (rising, 0..1); unset: none.
  std::function<void(const std::string& name, float fraction)> on_progress = nullptr;
};

std::unique_ptr<RunnerFactory> make_process_runner_factory(ProcessRunnerOptions options);

}  // namespace cria::sched
