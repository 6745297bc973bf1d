// Runs a command and captures its output (tests only).
#pragma once

#include <string>
#include <vector>

namespace cria::test {

struct RunResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs argv[0] with the arguments (no shell), waits for it, returns its output.
RunResult run_process(const std::vector<std::string>& argv);

}  // namespace cria::test
