// The scheduler with fake runners: no processes, no ggml. The fakes count starts
// and destructions, can block inside start() on a gate the test opens, fail
// start(), and report alive() = false to play a crashed runner.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "sched/scheduler.h"

namespace cria::sched {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

// A one-shot gate: wait() blocks until open().
class Gate {
 public:
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  bool wait_for(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

// What the test sees of the fakes; shared because the scheduler owns the factory.
struct FakeState {
  std::mutex mu;
  std::vector<std::string> started;                       // spec names, in start order
  std::vector<std::shared_ptr<std::atomic<bool>>> alive;  // one per runner started
  std::atomic<int> destroyed{0};
  SteadyClock::time_point last_destroyed{};
  // When set, start() opens `entered` and then waits on `release_start`.
  std::shared_ptr<Gate> entered;
  std::shared_ptr<Gate> release_start;
  // When set, a runner's destructor opens `destroying` and then waits on `release_destroy`
  // (a runner process slow to exit).
  std::shared_ptr<Gate> destroying;
  std::shared_ptr<Gate> release_destroy;
  // When set, the next start() fails with this error.
  std::optional<Error> fail_next;
  // Loads running at once, and the most seen.
  int in_start = 0;
  int max_in_start = 0;
  // A machine with this much memory; runners use num_ctx * 1000 bytes each.
  uint64_t total_memory = 0;
  uint64_t used_memory = 0;
  int probes = 0;

  // The fake free-memory probe: 0 (unknown) unless total_memory is set.
  uint64_t free_memory() {
    std::lock_guard<std::mutex> lock(mu);
    ++probes;
    if (total_memory == 0) return 0;
    return total_memory > used_memory ? total_memory - used_memory : 1;
  }

  int starts() {
    std::lock_guard<std::mutex> lock(mu);
    return static_cast<int>(started.size());
  }
  void kill_last() {
    std::lock_guard<std::mutex> lock(mu);
    alive.back()->store(false);
  }
};

class FakeRunner : public Runner {
 public:
  FakeRunner(std::shared_ptr<FakeState> state, std::shared_ptr<std::atomic<bool>> alive,
             int64_t num_ctx)
      : state_(std::move(state)), alive_(std::move(alive)), num_ctx_(num_ctx) {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->used_memory += memory_bytes();
  }
  ~FakeRunner() override {
    std::shared_ptr<Gate> destroying, release;
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      destroying = state_->destroying;
      release = state_->release_destroy;
    }
    if (destroying) destroying->open();
    if (release) release->wait();
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->last_destroyed = SteadyClock::now();
    state_->used_memory -= memory_bytes();
    ++state_->destroyed;
  }
  Status complete(const Json&, const ChunkFn& on_chunk) override {
    on_chunk(Json{{"content", "hi"}, {"stop", true}});
    return {};
  }
  Result<Json> embed(const Json&) override {
    return make_error(Errc::kInvalidArgument, "a fake runner has no embeddings");
  }
  Result<std::vector<int32_t>> tokenize(const std::string& text, bool) override {
    return std::vector<int32_t>(text.size(), 1);
  }
  Result<std::string> detokenize(const std::vector<int32_t>& tokens) override {
    return std::string(tokens.size(), 'x');
  }
  bool alive() override { return alive_->load(); }
  uint64_t memory_bytes() const override { return static_cast<uint64_t>(num_ctx_) * 1000; }
  int64_t context_length() const override { return num_ctx_; }

 private:
  std::shared_ptr<FakeState> state_;
  std::shared_ptr<std::atomic<bool>> alive_;
  int64_t num_ctx_;
};

class FakeFactory : public RunnerFactory {
 public:
  explicit FakeFactory(std::shared_ptr<FakeState> state) : state_(std::move(state)) {}
  Result<std::unique_ptr<Runner>> start(const LoadSpec& spec) override {
    std::shared_ptr<Gate> entered, release;
    std::shared_ptr<std::atomic<bool>> alive = std::make_shared<std::atomic<bool>>(true);
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      state_->started.push_back(spec.name);
      state_->alive.push_back(alive);
      entered = state_->entered;
      release = state_->release_start;
      if (state_->fail_next) {
        Error e = *state_->fail_next;
        state_->fail_next.reset();
        return e;
      }
      state_->max_in_start = std::max(state_->max_in_start, ++state_->in_start);
    }
    if (entered) entered->open();
    if (release) release->wait();
    {
      std::lock_guard<std::mutex> lock(state_->mu);
      --state_->in_start;
    }
    return std::unique_ptr<Runner>(new FakeRunner(state_, alive, spec.options.num_ctx));
  }

 private:
  std::shared_ptr<FakeState> state_;
};

LoadSpec spec(const std::string& name, int64_t num_ctx = 2048) {
  LoadSpec s;
  s.name = name;
  s.model_path = "/models/" + name + ".gguf";
  s.digest = "sha256:" + name;
  s.options.num_ctx = num_ctx;
  return s;
}

// Polls until pred() holds or a generous deadline passes.
bool eventually(const std::function<bool()>& pred) {
  auto deadline = SteadyClock::now() + 5s;
  while (SteadyClock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

std::vector<std::string> loaded_names(Scheduler& s) {
  std::vector<std::string> names;
  for (const RunningModel& m : s.running()) names.push_back(m.name);
  return names;
}

class SchedTest : public ::testing::Test {
 protected:
  std::unique_ptr<Scheduler> make(SchedOptions opt = {}) {
    return std::make_unique<Scheduler>(opt, std::make_unique<FakeFactory>(state));
  }
  std::unique_ptr<Lease> acquire(Scheduler& s, const LoadSpec& sp,
                                 std::optional<Nanos> keep = std::nullopt) {
    auto r = s.acquire(sp, keep);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? std::move(*r) : nullptr;
  }

  std::shared_ptr<FakeState> state = std::make_shared<FakeState>();
};

TEST_F(SchedTest, SecondAcquireReusesTheRunner) {
  auto s = make();
  auto a = acquire(*s, spec("a"));
  ASSERT_TRUE(a);
  auto b = acquire(*s, spec("a"));  // concurrent lease on the same runner
  ASSERT_TRUE(b);
  EXPECT_EQ(&a->runner(), &b->runner());
  EXPECT_EQ(b->load_duration(), Nanos(0));
  a.reset();
  b.reset();
  auto c = acquire(*s, spec("a"));  // after release, still loaded
  ASSERT_TRUE(c);
  EXPECT_EQ(state->starts(), 1);
  EXPECT_EQ(state->destroyed, 0);
  c.reset();
}

TEST_F(SchedTest, KeepAliveZeroUnloadsWhenTheLeaseEnds) {
  auto s = make();
  auto a = acquire(*s, spec("a"), Nanos(0));
  ASSERT_TRUE(a);
  EXPECT_EQ(loaded_names(*s), std::vector<std::string>{"a"});
  a.reset();
  EXPECT_TRUE(s->running().empty());
  EXPECT_EQ(state->destroyed, 1);
}

TEST_F(SchedTest, ShortKeepAliveUnloadsAfterItExpires) {
  auto s = make();
  auto a = acquire(*s, spec("a"), Nanos(50ms));
  ASSERT_TRUE(a);
  auto released = SteadyClock::now();
  a.reset();
  // The model leaves the list first; its runner is stopped after, outside the lock.
  ASSERT_TRUE(eventually([&] { return s->running().empty() && state->destroyed == 1; }));
  std::lock_guard<std::mutex> lock(state->mu);
  EXPECT_GE(state->last_destroyed - released, 50ms);  // not before it expired
}

TEST_F(SchedTest, KeepAliveForeverStays) {
  auto s = make();
  acquire(*s, spec("a"), kForever).reset();
  // "b" expiring proves the reaper ran past the point where "a" could have expired.
  acquire(*s, spec("b"), Nanos(10ms)).reset();
  ASSERT_TRUE(eventually([&] { return state->destroyed == 1; }));
  EXPECT_EQ(loaded_names(*s), std::vector<std::string>{"a"});
  auto running = s->running();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_TRUE(running[0].forever);
}

TEST_F(SchedTest, HugeFiniteKeepAliveDoesNotOverflowIntoExpiry) {
  auto s = make();
  // About 292 years: finite, but steady_clock::now() + this overflows int64 nanoseconds.
  acquire(*s, spec("a"), Nanos(Nanos::max().count() - 1)).reset();
  acquire(*s, spec("b"), Nanos(10ms)).reset();
  ASSERT_TRUE(eventually([&] { return state->destroyed >= 1; }));
  EXPECT_EQ(loaded_names(*s), std::vector<std::string>{"a"});
  auto running = s->running();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_TRUE(running[0].forever);
}

TEST_F(SchedTest, UnloadWhileLeasedUnloadsAfterRelease) {
  auto s = make();
  EXPECT_FALSE(s->unload("a"));
  auto a = acquire(*s, spec("a"));
  ASSERT_TRUE(a);
  EXPECT_TRUE(s->unload("a"));
  EXPECT_EQ(state->destroyed, 0);  // still in use
  EXPECT_EQ(loaded_names(*s), std::vector<std::string>{"a"});
  a.reset();  // default keep_alive (5m) is overridden by the unload request
  EXPECT_TRUE(s->running().empty());
  EXPECT_EQ(state->destroyed, 1);
}

TEST_F(SchedTest, UnloadOfIdleModelIsImmediate) {
  auto s = make();
  acquire(*s, spec("a")).reset();
  EXPECT_TRUE(s->unload("a"));
  EXPECT_TRUE(s->running().empty());
  EXPECT_EQ(state->destroyed, 1);
}

TEST_F(SchedTest, MaxLoadedModelsEvictsIdleRunner) {
  SchedOptions opt;
  opt.max_loaded_models = 1;
  auto s = make(opt);
  acquire(*s, spec("a")).reset();
  acquire(*s, spec("b")).reset();
  EXPECT_EQ(state->starts(), 2);
  EXPECT_EQ(state->destroyed, 1);
  EXPECT_EQ(loaded_names(*s), std::vector<std::string>{"b"});
}

TEST_F(SchedTest, MaxLoadedModelsEvictsLeastRecentlyUsed) {
  SchedOptions opt;
  opt.max_loaded_models = 2;
  auto s = make(opt);
  acquire(*s, spec("a")).reset();
  acquire(*s, spec("b")).reset();
  acquire(*s, spec("a")).reset();  // "a" is now the most recently used
  acquire(*s, spec("c")).reset();
  auto names = loaded_names(*s);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c"}));
}

TEST_F(SchedTest, MaxLoadedModelsZeroMeansThree) {
  SchedOptions opt;
  opt.max_loaded_models = 0;
  auto s = make(opt);
  for (const char* name : {"a", "b", "c", "d"}) acquire(*s, spec(name)).reset();
  EXPECT_EQ(loaded_names(*s).size(), 3u);
  EXPECT_EQ(state->destroyed, 1);
}

TEST_F(SchedTest, RequestForOtherModelWaitsWhileTheOnlySlotIsLeased) {
  SchedOptions opt;
  opt.max_loaded_models = 1;
  auto s = make(opt);
  auto a = acquire(*s, spec("a"));
  ASSERT_TRUE(a);
  std::atomic<bool> got_b{false};
  std::thread t([&] {
    auto b = s->acquire(spec("b"), std::nullopt);
    EXPECT_TRUE(b.ok());
    got_b = true;
  });
  // While "a" is leased, "b" cannot load. (A short look; it can only miss a bug, not flake.)
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(got_b);
  EXPECT_EQ(state->starts(), 1);
  a.reset();
  t.join();
  EXPECT_TRUE(got_b);
  EXPECT_EQ(state->starts(), 2);
  EXPECT_EQ(loaded_names(*s), std::vector<std::string>{"b"});
}

TEST_F(SchedTest, FullQueueRefusesWithUnavailable) {
  SchedOptions opt;
  opt.max_queue = 1;
  auto s = make(opt);
  state->entered = std::make_shared<Gate>();
  state->release_start = std::make_shared<Gate>();
  std::thread t([&] {
    auto a = s->acquire(spec("a"), std::nullopt);
    EXPECT_TRUE(a.ok());
  });
  ASSERT_TRUE(state->entered->wait_for(5000ms));
  auto b = s->acquire(spec("b"), std::nullopt);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().code, Errc::kUnavailable);
  state->release_start->open();
  t.join();
  // With the queue empty again, requests are served.
  state->entered.reset();
  state->release_start.reset();
  EXPECT_TRUE(acquire(*s, spec("b")));
}

TEST_F(SchedTest, LeasesBeyondTheRunnersSequencesCountAsWaiting) {
  SchedOptions opt;
  opt.max_queue = 2;
  auto s = make(opt);
  LoadSpec sp = spec("a");
  sp.num_parallel = 2;
  std::vector<std::unique_ptr<Lease>> leases;
  // Two are served at once by the runner, two more wait in it: the queue is full.
  for (int i = 0; i < 4; ++i) leases.push_back(acquire(*s, sp));
  auto refused = s->acquire(sp, std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, Errc::kUnavailable);
  leases.pop_back();
  EXPECT_TRUE(acquire(*s, sp));
}

TEST_F(SchedTest, LoadFailureReturnsTheFactoryErrorAndLeavesNothingLoaded) {
  auto s = make();
  state->fail_next = make_error(Errc::kCorrupt, "bad gguf");
  auto r = s->acquire(spec("a"), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kCorrupt);
  EXPECT_EQ(r.error().message, "bad gguf");
  EXPECT_TRUE(s->running().empty());
  // The failure does not stick: the next request loads again.
  EXPECT_TRUE(acquire(*s, spec("a")));
  EXPECT_EQ(state->starts(), 2);
}

TEST_F(SchedTest, DeadRunnerIsReplacedOnNextAcquire) {
  auto s = make();
  acquire(*s, spec("a")).reset();
  state->kill_last();
  auto a = acquire(*s, spec("a"));
  ASSERT_TRUE(a);
  EXPECT_TRUE(a->runner().alive());
  EXPECT_EQ(state->starts(), 2);
  EXPECT_EQ(state->destroyed, 1);
}

TEST_F(SchedTest, RunnerDyingDuringLeaseIsUnloadedAtRelease) {
  auto s = make();
  auto a = acquire(*s, spec("a"), kForever);
  ASSERT_TRUE(a);
  state->kill_last();
  a.reset();
  EXPECT_TRUE(s->running().empty());
  EXPECT_EQ(state->destroyed, 1);
}

TEST_F(SchedTest, MarkFailedUnloadsAtRelease) {
  auto s = make();
  auto a = acquire(*s, spec("a"), kForever);
  ASSERT_TRUE(a);
  a->mark_failed();
  a.reset();
  EXPECT_TRUE(s->running().empty());
}

TEST_F(SchedTest, DifferentNumCtxReloads) {
  auto s = make();
  acquire(*s, spec("a", 2048)).reset();
  acquire(*s, spec("a", 8192)).reset();
  EXPECT_EQ(state->starts(), 2);
  EXPECT_EQ(state->destroyed, 1);
  auto running = s->running();
  ASSERT_EQ(running.size(), 1u);
  EXPECT_EQ(running[0].context_length, 8192);
}

TEST_F(SchedTest, ARunnerSlowToExitBlocksNoOtherRequest) {
  auto s = make();
  state->destroying = std::make_shared<Gate>();
  state->release_destroy = std::make_shared<Gate>();
  auto b = acquire(*s, spec("b"));
  std::thread unloading([&] { acquire(*s, spec("a"), Nanos(0)); });  // unloads at release
  ASSERT_TRUE(state->destroying->wait_for(5000ms));
  // While a's process exits: the list, b's runner and a new load all answer.
  EXPECT_EQ(loaded_names(*s), std::vector<std::string>{"b"});
  auto b2 = acquire(*s, spec("b"));
  EXPECT_TRUE(b2);
  auto c = acquire(*s, spec("c"));
  EXPECT_TRUE(c);
  EXPECT_EQ(state->destroyed.load(), 0);
  state->release_destroy->open();
  unloading.join();
  EXPECT_EQ(state->destroyed.load(), 1);
}

TEST(LoadSpec, SameLoadComparesLoadTimeOptionsOnly) {
  LoadSpec a = spec("a");
  LoadSpec b = a;
  b.options.temperature = 0.1;  // per-request options do not matter
  b.options.num_predict = 7;
  EXPECT_TRUE(a.same_load(b));
  b = a;
  b.options.num_ctx = a.options.num_ctx * 2;
  EXPECT_FALSE(a.same_load(b));
  b = a;
  b.options.num_batch = 64;
  EXPECT_FALSE(a.same_load(b));
  b = a;
  b.model_path = "/other.gguf";
  EXPECT_FALSE(a.same_load(b));
}

TEST_F(SchedTest, RunningListsSizeContextAndExpiry) {
  auto s = make();
  auto held = acquire(*s, spec("a", 1024), Nanos(10min));
  ASSERT_TRUE(held);
  acquire(*s, spec("b", 4096), kForever).reset();
  acquire(*s, spec("c", 2048), Nanos(1h)).reset();
  auto now = std::chrono::system_clock::now();
  auto running = s->running();
  ASSERT_EQ(running.size(), 3u);
  for (const RunningModel& m : running) {
    SCOPED_TRACE(m.name);
    EXPECT_EQ(m.model_path, "/models/" + m.name + ".gguf");
    EXPECT_EQ(m.digest, "sha256:" + m.name);
    EXPECT_EQ(m.size, static_cast<uint64_t>(m.context_length) * 1000);
    if (m.name == "a") {
      EXPECT_EQ(m.context_length, 1024);
      EXPECT_FALSE(m.forever);
      EXPECT_GT(m.expires_at, now + 9min);
      EXPECT_LT(m.expires_at, now + 11min);
    } else if (m.name == "b") {
      EXPECT_EQ(m.context_length, 4096);
      EXPECT_TRUE(m.forever);
    } else {
      EXPECT_EQ(m.context_length, 2048);
      EXPECT_FALSE(m.forever);
      EXPECT_GT(m.expires_at, now + 59min);
      EXPECT_LT(m.expires_at, now + 61min);
    }
  }
  held.reset();
}

TEST_F(SchedTest, StopUnloadsEverythingAndRefusesNewRequests) {
  auto s = make();
  acquire(*s, spec("a")).reset();
  acquire(*s, spec("b")).reset();
  s->stop();
  EXPECT_EQ(state->destroyed, 2);
  auto r = s->acquire(spec("a"), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kUnavailable);
}

// --- One load at a time ---

TEST_F(SchedTest, ConcurrentAcquiresOfOneModelStartItOnce) {
  auto s = make();
  state->entered = std::make_shared<Gate>();
  state->release_start = std::make_shared<Gate>();
  std::atomic<int> served{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto lease = s->acquire(spec("a"), std::nullopt);
      EXPECT_TRUE(lease.ok());
      if (lease.ok()) ++served;
    });
  }
  ASSERT_TRUE(state->entered->wait_for(5000ms));
  std::this_thread::sleep_for(50ms);  // let the other threads reach the scheduler
  state->release_start->open();
  for (auto& t : threads) t.join();
  EXPECT_EQ(served, 4);
  EXPECT_EQ(state->starts(), 1);
}

TEST_F(SchedTest, SecondLoadWaitsForTheFirstWhileLoadedModelsAreServed) {
  auto s = make();
  acquire(*s, spec("loaded")).reset();
  state->entered = std::make_shared<Gate>();
  state->release_start = std::make_shared<Gate>();
  std::thread ta([&] { EXPECT_TRUE(s->acquire(spec("a"), std::nullopt).ok()); });
  ASSERT_TRUE(state->entered->wait_for(5000ms));
  std::thread tb([&] { EXPECT_TRUE(s->acquire(spec("b"), std::nullopt).ok()); });
  // While "a" loads, a loaded model is served at once.
  auto loaded = acquire(*s, spec("loaded"));
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->load_duration(), Nanos(0));
  loaded.reset();
  // ... and "b" does not start. (A short look; it can only miss a bug, not flake.)
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(state->starts(), 2);
  state->release_start->open();
  ta.join();
  tb.join();
  EXPECT_EQ(state->starts(), 3);
  EXPECT_EQ(state->max_in_start, 1);
  std::lock_guard<std::mutex> lock(state->mu);
  EXPECT_EQ(state->started, (std::vector<std::string>{"loaded", "a", "b"}));
}

// --- Eviction order ---

TEST_F(SchedTest, EvictsTheIdleModelWhoseKeepAliveExpiresSoonest) {
  SchedOptions opt;
  opt.max_loaded_models = 3;
  auto s = make(opt);
  acquire(*s, spec("long"), Nanos(90s)).reset();
  acquire(*s, spec("short"), Nanos(30s)).reset();
  acquire(*s, spec("middle"), Nanos(60s)).reset();
  acquire(*s, spec("d")).reset();  // evicts "short" though "long" is least recently used
  auto names = loaded_names(*s);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"d", "long", "middle"}));
  acquire(*s, spec("e"), Nanos(90s)).reset();  // then "middle"
  names = loaded_names(*s);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"d", "e", "long"}));
}

TEST_F(SchedTest, EvictionTieGoesToTheLeastRecentlyUsed) {
  SchedOptions opt;
  opt.max_loaded_models = 3;
  auto s = make(opt);
  acquire(*s, spec("a"), kForever).reset();
  acquire(*s, spec("b"), kForever).reset();
  acquire(*s, spec("c"), kForever).reset();
  acquire(*s, spec("a"), kForever).reset();  // "b" is now the least recently used
  acquire(*s, spec("d"), kForever).reset();
  auto names = loaded_names(*s);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c", "d"}));
}

TEST_F(SchedTest, EvictionNeverTakesALeasedModel) {
  SchedOptions opt;
  opt.max_loaded_models = 2;
  auto s = make(opt);
  auto busy = acquire(*s, spec("busy"), Nanos(1ms));  // would expire first if it were idle
  ASSERT_TRUE(busy);
  acquire(*s, spec("idle"), Nanos(1h)).reset();
  acquire(*s, spec("c")).reset();
  auto names = loaded_names(*s);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"busy", "c"}));
  busy.reset();
}

// --- Memory fit (a fake machine: runners use num_ctx * 1000 bytes) ---

LoadSpec sized(const std::string& name, int64_t num_ctx) {
  LoadSpec s = spec(name, num_ctx);
  s.estimated_bytes = static_cast<uint64_t>(num_ctx) * 1000;
  return s;
}

class SchedMemoryTest : public SchedTest {
 protected:
  std::unique_ptr<Scheduler> make_with_memory(uint64_t total) {
    state->total_memory = total;
    SchedOptions opt;
    opt.max_loaded_models = 10;
    opt.free_memory = [st = state] { return st->free_memory(); };
    return make(opt);
  }
};

TEST_F(SchedMemoryTest, ModelsThatFitLoadSideBySide) {
  auto s = make_with_memory(10'000'000);
  acquire(*s, sized("a", 4000)).reset();
  acquire(*s, sized("b", 4000)).reset();
  EXPECT_EQ(loaded_names(*s).size(), 2u);
  EXPECT_EQ(state->destroyed, 0);
}

TEST_F(SchedMemoryTest, EvictsIdleModelsInOrderUntilItFits) {
  auto s = make_with_memory(10'000'000);
  acquire(*s, sized("a", 3000), Nanos(90s)).reset();
  acquire(*s, sized("b", 3000), Nanos(30s)).reset();
  acquire(*s, sized("c", 3000), Nanos(60s)).reset();
  // 1 MB free; 5 MB needed: unloading "b" frees 3 MB, not enough; then "c".
  acquire(*s, sized("d", 5000)).reset();
  auto names = loaded_names(*s);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "d"}));
  // 2 MB free; 2 MB needed: nothing is evicted (free memory was re-read).
  acquire(*s, sized("e", 2000)).reset();
  EXPECT_EQ(loaded_names(*s).size(), 3u);
  EXPECT_EQ(state->destroyed, 2);
}

TEST_F(SchedMemoryTest, WaitsForABusyModelThenEvictsIt) {
  auto s = make_with_memory(5'000'000);
  auto a = acquire(*s, sized("a", 3000));
  ASSERT_TRUE(a);
  std::atomic<bool> got_b{false};
  std::thread t([&] {
    auto b = s->acquire(sized("b", 3000), std::nullopt);
    EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message);
    got_b = true;
  });
  std::this_thread::sleep_for(100ms);  // a short look: "b" must wait, not fail
  EXPECT_FALSE(got_b);
  EXPECT_EQ(state->starts(), 1);
  a.reset();
  t.join();
  EXPECT_TRUE(got_b);
  EXPECT_EQ(loaded_names(*s), std::vector<std::string>{"b"});
}

TEST_F(SchedMemoryTest, TooBigForTheMachineFailsWithOutOfMemory) {
  auto s = make_with_memory(3 * 1024 * 1024);
  acquire(*s, sized("small", 1000)).reset();
  auto r = s->acquire(sized("big", 5000), std::nullopt);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, Errc::kOutOfMemory);
  EXPECT_EQ(r.error().message,
            "model requires more system memory (4.8 MiB) than is available (3.0 MiB)");
  EXPECT_EQ(state->starts(), 1);      // never started
  EXPECT_TRUE(s->running().empty());  // the idle model was unloaded trying to make room
  EXPECT_TRUE(acquire(*s, sized("small", 1000)));  // and nothing sticks
}

TEST_F(SchedMemoryTest, UnknownEstimateOrUnknownFreeMemoryLoads) {
  auto s = make_with_memory(1000);
  EXPECT_TRUE(acquire(*s, spec("no-estimate", 5000)));  // estimated_bytes 0
  state->total_memory = 0;                              // the probe answers 0: unknown
  EXPECT_TRUE(acquire(*s, sized("no-probe", 5000)));
  EXPECT_EQ(state->starts(), 2);
}

TEST(SchedMemory, ParsesMemAvailable) {
  const char* meminfo =
      "MemTotal:       16318412 kB\n"
      "MemFree:          734220 kB\n"
      "MemAvailable:    9436424 kB\n"
      "Buffers:          412868 kB\n";
  EXPECT_EQ(parse_mem_available(meminfo), uint64_t{9436424} * 1024);
  EXPECT_EQ(parse_mem_available("MemTotal: 1 kB\n"), 0u);
  EXPECT_EQ(parse_mem_available("XMemAvailable: 5 kB\n"), 0u);
  EXPECT_GT(available_memory(), 0u);  // Linux has /proc/meminfo
}

TEST(SchedMemory, HumanSizesLikeOllama) {
  EXPECT_EQ(human_bytes_binary(512), "512 B");
  EXPECT_EQ(human_bytes_binary(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes_binary(310 * 1024 * 1024), "310.0 MiB");
  EXPECT_EQ(human_bytes_binary(uint64_t{5583457485}), "5.2 GiB");
}

}  // namespace
}  // namespace cria::sched
