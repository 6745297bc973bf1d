// Runners as child processes: `cria runner --model F --port 0 ...` started from
// this executable, talked to over loopback HTTP (see runner/server.h for the
// protocol). A child that crashes (a ggml abort, the OOM killer) only fails the
// requests it was serving; the scheduler notices and reports it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/duration.h"
#include "sched/runner.h"

namespace cria::sched {

struct ProcessRunnerOptions {
  std::string executable;  // the cria binary; "" = /proc/self/exe
  Nanos load_timeout = std::chrono::minutes(5);
  std::vector<std::string> extra_args;  // appended to the runner's command line
  // A file the runners lock around each batch so that they take turns on the CPU
  // (runner/compute_gate.h); "": none.
  std::string compute_lock;
};

std::unique_ptr<RunnerFactory> make_process_runner_factory(ProcessRunnerOptions options);

}  // namespace cria::sched
