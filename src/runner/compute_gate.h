// Runners of one server take turns on the CPU: each batch is computed while holding
// an exclusive lock on a file shared by the server's runners. ggml's CPU threads
// spin while they compute; two runners computing at once on the same cores slow
// each other down many times over (llama.cpp's decode fell from 2,276 to 7.9
// tokens/s when two jobs shared 2 cores). A runner that waits for the lock sleeps.
#pragma once

#include <string>

#include "base/result.h"

namespace cria::runner {

class ComputeGate {
 public:
  // path "": no gate (a single runner, or a GPU build where it does not apply).
  static Result<ComputeGate> open(const std::string& path);
  ComputeGate(ComputeGate&& other) noexcept;
  ComputeGate& operator=(ComputeGate&&) = delete;
  ~ComputeGate();

  // Holds the lock for its lifetime.
  class Turn {
   public:
    explicit Turn(const ComputeGate& gate);
    ~Turn();
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;

   private:
    int fd_;
  };

 private:
  explicit ComputeGate(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace cria::runner
