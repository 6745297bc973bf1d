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
  // When set, the next start() fails with this error.
  std::optional<Error> fail_next;

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
      : state_(std::move(state)), alive_(std::move(alive)), num_ctx_(num_ctx) {}
  ~FakeRunner() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->last_destroyed = SteadyClock::now();
    ++state_->destroyed;
  }
  Status complete(const Json&, const ChunkFn& on_chunk) override {
    on_chunk(Json{{"content", "hi"}, {"stop", true}});
    return {};
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
    }
    if (entered) entered->open();
    if (release) release->wait();
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
  ASSERT_TRUE(eventually([&] { return s->running().empty(); }));
  EXPECT_EQ(state->destroyed, 1);
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

}  // namespace
}  // namespace cria::sched
