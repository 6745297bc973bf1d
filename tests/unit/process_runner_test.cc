// ProcessRunner's load wait against a fake runner process (fake_runner.cc):
// OLLAMA_LOAD_TIMEOUT is a stall timeout, restarted by each progress line.
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sched/process_runner.h"

namespace cria::sched {
namespace {

using namespace std::chrono_literals;
using std::chrono::steady_clock;

struct Load {
  Result<std::unique_ptr<Runner>> runner = make_error(Errc::kInternal, "not started");
  std::vector<float> progress;  // what on_progress saw
  steady_clock::duration took{};
};

// Starts the fake runner with `script` (see fake_runner.cc) as its model.
Load load(const std::string& script, Nanos load_timeout) {
  Load out;
  ProcessRunnerOptions po;
  po.executable = CRIA_FAKE_RUNNER;
  po.load_timeout = load_timeout;
  po.on_progress = [&out](const std::string& name, float fraction) {
    EXPECT_EQ(name, "fake");
    out.progress.push_back(fraction);
  };
  LoadSpec spec;
  spec.name = "fake";
  spec.model_path = script;
  const auto start = steady_clock::now();
  out.runner = make_process_runner_factory(po)->start(spec);
  out.took = steady_clock::now() - start;
  return out;
}

TEST(ProcessRunnerLoad, SteadyProgressOutlastsTheStallTimeout) {
  // 6 steps 200 ms apart: 1.2 s in all, well over the timeout, with room for a slow start.
  Load l = load("steady:6:200", 700ms);
  ASSERT_TRUE(l.runner.ok()) << l.runner.error().message;
  EXPECT_GT(l.took, 700ms);
  EXPECT_EQ((*l.runner)->memory_bytes(), 1048576u);
  EXPECT_EQ((*l.runner)->context_length(), 256);
  ASSERT_EQ(l.progress.size(), 6u);
  EXPECT_FLOAT_EQ(l.progress.back(), 1.0f);
  for (size_t i = 1; i < l.progress.size(); ++i) EXPECT_GT(l.progress[i], l.progress[i - 1]);
}

TEST(ProcessRunnerLoad, StallFailsAfterTheTimeoutNamingProgressAndSetting) {
  Load l = load("stall:0.42", 300ms);
  ASSERT_FALSE(l.runner.ok());
  const std::string& msg = l.runner.error().message;
  EXPECT_EQ(l.runner.error().code, Errc::kUnavailable);
  EXPECT_NE(msg.find("timed out waiting for the runner to load the model"), std::string::npos)
      << msg;
  EXPECT_NE(msg.find("progress 42%"), std::string::npos) << msg;
  EXPECT_NE(msg.find("300ms"), std::string::npos) << msg;
  EXPECT_NE(msg.find("OLLAMA_LOAD_TIMEOUT"), std::string::npos) << msg;
  EXPECT_GE(l.took, 300ms);
  EXPECT_LT(l.took, 10s);  // killed, not waited for
  EXPECT_EQ(l.progress, std::vector<float>{0.42f});
}

TEST(ProcessRunnerLoad, ZeroTimeoutMeansNoLimit) {
  Load l = load("steady:2:50", 0ns);
  ASSERT_TRUE(l.runner.ok()) << l.runner.error().message;
  EXPECT_EQ(l.progress.size(), 2u);
}

TEST(ProcessRunnerLoad, ForeverTimeoutDoesNotOverflow) {
  Load l = load("steady:1:10", kForever);
  ASSERT_TRUE(l.runner.ok()) << l.runner.error().message;
}

TEST(ProcessRunnerLoad, RunnerThatDiesReportsItsError) {
  Load l = load("die:0.1", 5s);
  ASSERT_FALSE(l.runner.ok());
  const std::string& msg = l.runner.error().message;
  EXPECT_NE(msg.find("model runner has unexpectedly stopped"), std::string::npos) << msg;
  EXPECT_NE(msg.find("out of memory loading the weights"), std::string::npos) << msg;
  EXPECT_LT(l.took, 5s);
}

}  // namespace
}  // namespace cria::sched
