// `cria generate` and `cria logits` reproduce llama.cpp's greedy outputs on the
// bundled model (../shared/models/golden/stories260K.golden.json).
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "e2e/process.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

const std::string kModel = source_dir() + "/models/stories260K.gguf";

std::string join(const nlohmann::json& ids, const char* sep) {
  std::string s;
  for (const auto& id : ids) s += (s.empty() ? "" : sep) + std::to_string(id.get<int>());
  return s;
}

TEST(GenerateE2E, GreedyTextAndTokensMatchTheGolden) {
  CRIA_REQUIRE_SHARED(path, "models/golden/stories260K.golden.json");
  const auto golden = nlohmann::json::parse(read_text(path));
  int checked = 0;
  for (const auto& c : golden["cases"]) {
    if (c["model"] != "stories260K.gguf") continue;
    const std::string prompt = c["prompt"];
    SCOPED_TRACE(prompt);
    RunResult text = run_process(
        {CRIA_BIN, "generate", "--model", kModel, "--temperature", "0", "-n", "64", prompt});
    ASSERT_EQ(text.exit_code, 0) << text.err;
    EXPECT_EQ(text.out, c["generated_text"].get<std::string>() + "\n");
    RunResult ids =
        run_process({CRIA_BIN, "generate", "--model", kModel, "--temperature", "0", "-n", "64",
                     "--tokens", "--prompt-tokens", join(c["prompt_tokens"], " ")});
    ASSERT_EQ(ids.exit_code, 0) << ids.err;
    EXPECT_EQ(ids.out, "[" + join(c["generated_tokens"], ",") + "]\n");
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(GenerateE2E, SameSeedSameText) {
  auto run = [](const char* seed) {
    return run_process({CRIA_BIN, "generate", "--model", kModel.c_str(), "--seed", seed, "-n", "30",
                        "--tokens", "Lily"});
  };
  RunResult a = run("7"), b = run("7"), c = run("8");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out, c.out);
}

TEST(LogitsE2E, OneJsonLinePerPosition) {
  RunResult r = run_process(
      {CRIA_BIN, "logits", "--model", kModel, "--tokens", "1 403 407 261 378", "--top", "5"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream lines(r.out);
  std::string line;
  int n = 0;
  nlohmann::json last;
  while (std::getline(lines, line)) {
    last = nlohmann::json::parse(line);
    EXPECT_EQ(last["pos"], n);
    EXPECT_EQ(last["top"].size(), 5u);
    EXPECT_TRUE(last.contains("mean") && last.contains("std"));
    ++n;
  }
  EXPECT_EQ(n, 5);
  EXPECT_EQ(last["top"][0][0], 432);  // ", " follows "Once upon a time" (golden)
  EXPECT_NEAR(last["top"][0][1].get<double>(), 17.797935, 5e-3);
}

TEST(BenchE2E, ReportsPositiveSpeeds) {
  RunResult r = run_process(
      {CRIA_BIN, "bench", "--model", kModel, "-p", "16", "-n", "4", "-r", "2", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["pp_tps"].size(), 2u);
  EXPECT_EQ(j["tg_tps"].size(), 2u);
  EXPECT_GT(j["pp_median"].get<double>(), 0.0);
  EXPECT_GT(j["tg_median"].get<double>(), 0.0);
  EXPECT_EQ(run_process({CRIA_BIN, "bench", "--model", kModel, "-r", "0"}).exit_code, 2);
}

TEST(GenerateE2E, Errors) {
  EXPECT_EQ(run_process({CRIA_BIN, "generate", "--model", kModel}).exit_code, 2);
  EXPECT_EQ(run_process({CRIA_BIN, "generate", "--model", kModel, "--top-p", "7", "x"}).exit_code,
            2);
  EXPECT_EQ(run_process({CRIA_BIN, "logits", "--model", kModel, "--tokens", "1 99999"}).exit_code,
            2);
  RunResult missing = run_process({CRIA_BIN, "logits", "--model", "/nope.gguf", "--tokens", "1"});
  EXPECT_EQ(missing.exit_code, 1);
}

}  // namespace
}  // namespace cria::test
