// `cria runner` reports its load progress to the scheduler's ProcessRunner: rising
// "progress F" lines, the last one 1, before its port line.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "sched/process_runner.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

TEST(RunnerLoadE2E, ReportsProgressUpToOne) {
  std::vector<float> seen;
  sched::ProcessRunnerOptions po;
  po.executable = CRIA_BIN;
  po.load_timeout = std::chrono::seconds(60);
  po.on_progress = [&seen](const std::string&, float f) { seen.push_back(f); };
  sched::LoadSpec spec;
  spec.name = "stories260K";
  spec.model_path = source_dir() + "/models/stories260K.gguf";
  spec.options.num_ctx = 256;
  spec.options.num_thread = 1;
  auto runner = sched::make_process_runner_factory(po)->start(spec);
  ASSERT_TRUE(runner.ok()) << runner.error().message;
  EXPECT_TRUE((*runner)->alive());
  EXPECT_GT((*runner)->context_length(), 0);
  ASSERT_GT(seen.size(), 2u);  // progress during the weights, not only at the end
  EXPECT_EQ(seen.back(), 1.0f);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GT(seen[i], seen[i - 1]) << i;
}

}  // namespace
}  // namespace cria::test
