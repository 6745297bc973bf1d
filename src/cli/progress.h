// Ollama's progress display for pull and push: one line per status, a bar for
// each blob ("pulling 0123456789ab: 42% ▕███████         ▏ 1.2 MB/2.9 MB")
// redrawn in place on a terminal; elsewhere each status is printed once.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

#include "api/options.h"

namespace cria::cli {

class ProgressPrinter {
 public:
  explicit ProgressPrinter(std::FILE* out);
  ~ProgressPrinter() { finish(); }

  void update(const api::Json& line);
  // Ends a bar left open.
  void finish();

 private:
  void draw(const std::string& status, int64_t completed, int64_t total, bool force);

  std::FILE* out_;
  bool tty_;
  std::string current_;  // the status of the open line
  bool open_ = false;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace cria::cli
