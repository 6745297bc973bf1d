// The loaded-model table: which runners are loaded, who is using them, when they
// expire (keep_alive), the bound on waiting requests (OLLAMA_MAX_QUEUE -> 503:
// requests not yet scheduled plus leases beyond a runner's num_parallel sequences)
// and on loaded models (OLLAMA_MAX_LOADED_MODELS). Runners come from a
// RunnerFactory, so tests use fakes.
//
// Loading rules: one load at a time (requests for loaded models are served
// meanwhile); a model needing room (a model slot, or memory for its
// estimated_bytes) evicts idle runners only, the one whose keep_alive expires
// soonest first (ties: least recently used); if that is not enough it waits for
// busy runners to finish, and fails with kOutOfMemory once nothing else is loaded.
//
//   auto lease = sched.acquire(spec, keep_alive);      // loads the model if needed
//   lease->runner().complete(request, on_chunk);
//   // the lease's destructor starts the keep_alive timer (0: unload now)
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/duration.h"
#include "sched/memory.h"
#include "sched/runner.h"

namespace cria::sched {

struct SchedOptions {
  int max_queue = 512;
  int max_loaded_models = 3;  // <= 0: 3
  Nanos default_keep_alive = std::chrono::minutes(5);
  // Free memory in bytes, read before each load and after each unload; 0 = unknown.
  // Called with the scheduler's lock held: it must not call back into the scheduler.
  std::function<uint64_t()> free_memory = available_memory;
};

// A loaded model, as /api/ps shows it.
struct RunningModel {
  std::string name;
  std::string digest;
  std::string model_path;
  uint64_t size = 0;
  int64_t context_length = 0;
  std::chrono::system_clock::time_point expires_at;  // max() while in use or forever
  bool forever = false;
};

class Scheduler;

class Lease {
 public:
  Lease(Lease&&) = delete;
  ~Lease();
  Runner& runner() { return *runner_; }
  // Load time of this request (0 when the model was already loaded).
  Nanos load_duration() const { return load_; }
  // Marks the runner broken (it died): it is unloaded when the lease ends.
  void mark_failed() { failed_ = true; }

 private:
  friend class Scheduler;
  struct Slot;
  Lease(Scheduler& s, std::shared_ptr<Slot> slot, Runner* r, Nanos keep_alive, Nanos load)
      : sched_(s), slot_(std::move(slot)), runner_(r), keep_alive_(keep_alive), load_(load) {}

  Scheduler& sched_;
  std::shared_ptr<Slot> slot_;
  Runner* runner_;
  Nanos keep_alive_;
  Nanos load_;
  bool failed_ = false;
};

class Scheduler {
 public:
  Scheduler(SchedOptions options, std::unique_ptr<RunnerFactory> factory);
  ~Scheduler();

  // A runner for spec, loading it (and evicting idle ones) when needed.
  // keep_alive unset: the default. Errors: queue full (kUnavailable: 503), load failure.
  Result<std::unique_ptr<Lease>> acquire(const LoadSpec& spec, std::optional<Nanos> keep_alive);
  // Unloads the model now if idle, or when its current requests end. False if not loaded.
  bool unload(const std::string& name);
  std::vector<RunningModel> running();
  // Unloads everything (at shutdown).
  void stop();

 private:
  friend class Lease;
  using Slot = Lease::Slot;

  void release(const std::shared_ptr<Slot>& slot, Nanos keep_alive, bool failed);
  std::shared_ptr<Slot> find(const std::string& name);
  // The idle runner to evict first, or null when every runner is busy or loading.
  std::shared_ptr<Slot> pick_victim() const;
  // With the lock held: evicts idle runners until spec can load. True: load now;
  // false: wait for a busy runner to finish. Error: it can never fit.
  Result<bool> make_room(std::unique_lock<std::mutex>& lock, const LoadSpec& spec);
  bool make_slot_room(std::unique_lock<std::mutex>& lock);
  Result<bool> make_memory_room(std::unique_lock<std::mutex>& lock, const LoadSpec& spec);
  Result<std::shared_ptr<Slot>> load(std::unique_lock<std::mutex>& lock, const LoadSpec& spec);
  void reap_loop();
  // Requests waiting for a runner or for a free sequence in one; OLLAMA_MAX_QUEUE bounds it.
  int waiting() const;
  // Removes the slot and stops its runner with the lock released (a runner's exit may take
  // seconds), so state read before the call is stale after it. By value: callers pass
  // references into slots_, which drop() erases.
  void drop(std::unique_lock<std::mutex>& lock, std::shared_ptr<Slot> slot);

  SchedOptions opt_;
  std::unique_ptr<RunnerFactory> factory_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::list<std::shared_ptr<Slot>> slots_;  // most recently used first
  int pending_ = 0;
  int loading_ = 0;   // loads in progress: at most one
  int retiring_ = 0;  // runners dropped whose processes are still exiting
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace cria::sched
