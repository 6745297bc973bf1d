// `cria show --file` gives correct facts for every GGUF under ../shared, checked
// against the facts recorded with the data (golden files, fixtures.json, MANIFEST).
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "base/format.h"
#include "e2e/process.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

using nlohmann::json;

// "    key      value" rows of the Model section, keyed by label.
std::map<std::string, std::string> model_rows(const std::string& out) {
  std::map<std::string, std::string> rows;
  std::istringstream in(out);
  std::string line;
  bool in_model = false;
  while (std::getline(in, line)) {
    if (line == "  Model")
      in_model = true;
    else if (line.rfind("  ", 0) == 0 && line.rfind("    ", 0) != 0)
      in_model = false;
    if (!in_model || line.rfind("    ", 0) != 0) continue;
    const size_t gap = line.find("  ", 4);
    if (gap == std::string::npos) continue;
    const size_t value = line.find_first_not_of(' ', gap);
    rows[line.substr(4, gap - 4)] = line.substr(value);
  }
  return rows;
}

RunResult show(const std::string& path, bool verbose = false) {
  std::vector<std::string> argv = {CRIA_BIN, "show", "--file", path};
  if (verbose) argv.push_back("--verbose");
  return run_process(argv);
}

std::string expected_quant(const std::string& file, const json& fixtures) {
  // Quantized copies are named after their file type.
  for (const char* q : {"Q8_0", "Q4_0", "Q4_K_M", "Q6_K"}) {
    if (file.find(std::string("-") + q + ".gguf") != std::string::npos) return q;
  }
  // The float fixtures declare general.file_type 1 (MOSTLY_F16: their token_embd
  // is F16, whatever the other weights are), which is what Ollama shows.
  if (fixtures.contains(file)) return "F16";
  return "F32";  // stories260K: all F32, no general.file_type
}

std::string find_model(const std::string& shared, const std::string& file) {
  for (const char* dir : {"/fixtures/", "/models/", "/models/derived/"}) {
    if (std::filesystem::exists(shared + dir + file)) return shared + dir + file;
  }
  return "";
}

TEST(ShowE2E, ModelsMatchTheirGoldenFacts) {
  CRIA_REQUIRE_SHARED(golden_dir, "fixtures/golden");
  const json fixtures = json::parse(read_text(shared_dir() + "/fixtures/fixtures.json"));
  const std::map<std::string, std::string> tokenizer = {
      {"spm", "llama"}, {"bpe", "gpt2"}, {"wpm", "bert"}};
  int checked = 0;
  for (const auto& golden : shared_files("fixtures/golden", ".json")) {
    if (golden.find("no-repack") != std::string::npos) continue;
    const json g = json::parse(read_text(golden));
    if (!g.contains("model")) continue;  // tolerance.json
    const json& m = g["model"];
    const std::string file = m["file"];
    SCOPED_TRACE(file);
    const std::string path = find_model(shared_dir(), file);
    ASSERT_FALSE(path.empty()) << "no file for " << golden;
    RunResult r = show(path, /*verbose=*/true);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto rows = model_rows(r.out);
    EXPECT_EQ(rows["architecture"], m["arch"].get<std::string>());
    EXPECT_EQ(rows["parameters"], human_number(m["n_params"].get<uint64_t>()));
    EXPECT_NE(r.out.find("general.parameter_count"), std::string::npos);
    EXPECT_NE(r.out.find(std::to_string(m["n_params"].get<uint64_t>())), std::string::npos);
    EXPECT_EQ(rows["context length"], std::to_string(m["n_ctx_train"].get<int>()));
    EXPECT_EQ(rows["embedding length"], std::to_string(m["n_embd"].get<int>()));
    EXPECT_EQ(rows["quantization"], expected_quant(file, fixtures));
    EXPECT_EQ(rows["tokenizer"].substr(0, rows["tokenizer"].find_first_of(" ,")),
              tokenizer.at(m["vocab_type"]));
    EXPECT_EQ(rows["chat template"], file == "phi3.gguf" ? "yes" : "no");
    const bool embedding = g["kind"] == "embedding";
    EXPECT_NE(r.out.find(embedding ? "    embedding\n" : "    completion\n"), std::string::npos);
    EXPECT_NE(r.out.find("  Tensors\n"), std::string::npos);
    ++checked;
  }
  EXPECT_EQ(checked, 16);  // 13 fixtures + 3 stories260K files
}

struct VocabFacts {
  const char* file;
  const char* arch;
  const char* tokenizer;  // model (pre), vocabulary size
  const char* chat_template;
};

TEST(ShowE2E, VocabularyFilesMatchTheManifest) {
  CRIA_REQUIRE_SHARED(vocab_dir, "models/vocab");
  const VocabFacts facts[] = {
      {"ggml-vocab-llama-spm.gguf", "llama", "llama (default), 32000 tokens", "no"},
      {"ggml-vocab-phi-3.gguf", "phi3", "llama (default), 32064 tokens", "yes"},
      {"ggml-vocab-bert-bge.gguf", "bert", "bert (bert-bge), 30522 tokens", "no"},
      {"ggml-vocab-gpt-2.gguf", "gpt2", "gpt2 (gpt-2), 50257 tokens", "no"},
      {"ggml-vocab-deepseek-coder.gguf", "llama", "gpt2 (deepseek-coder), 32256 tokens", "no"},
      {"ggml-vocab-deepseek-llm.gguf", "llama", "gpt2 (deepseek-llm), 102400 tokens", "no"},
      {"ggml-vocab-falcon.gguf", "falcon", "gpt2 (falcon), 65024 tokens", "no"},
      {"ggml-vocab-starcoder.gguf", "starcoder2", "gpt2 (starcoder), 49152 tokens", "no"},
      {"ggml-vocab-mpt.gguf", "mpt", "gpt2 (mpt), 50432 tokens", "no"},
      {"ggml-vocab-refact.gguf", "refact", "gpt2 (refact), 49216 tokens", "no"},
  };
  EXPECT_EQ(shared_files("models/vocab", ".gguf").size(), std::size(facts));
  for (const auto& f : facts) {
    SCOPED_TRACE(f.file);
    RunResult r = show(vocab_dir + "/" + f.file);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto rows = model_rows(r.out);
    EXPECT_EQ(rows["architecture"], f.arch);
    EXPECT_EQ(rows["parameters"], "none (vocabulary only)");
    EXPECT_EQ(rows["tokenizer"], f.tokenizer);
    EXPECT_EQ(rows["chat template"], f.chat_template);
    EXPECT_EQ(rows.count("quantization"), 0u);
  }
}

TEST(ShowE2E, BundledModelAndErrors) {
  RunResult ok = show(source_dir() + "/models/stories260K.gguf");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(model_rows(ok.out)["parameters"], "293K");

  RunResult missing = show("/nonexistent/model.gguf");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/nonexistent/model.gguf"), std::string::npos) << missing.err;

  const std::string cut = std::filesystem::temp_directory_path() / "cria-show-truncated.gguf";
  {
    std::ifstream in(source_dir() + "/models/stories260K.gguf", std::ios::binary);
    std::string bytes(5000, '\0');
    in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    std::ofstream(cut, std::ios::binary) << bytes;
  }
  RunResult truncated = show(cut);
  EXPECT_EQ(truncated.exit_code, 1);
  EXPECT_NE(truncated.err.find("truncated GGUF"), std::string::npos) << truncated.err;
  std::filesystem::remove(cut);

  EXPECT_EQ(run_process({CRIA_BIN, "show"}).exit_code, 2);
  EXPECT_EQ(run_process({CRIA_BIN, "frobnicate"}).exit_code, 2);
}

}  // namespace
}  // namespace cria::test
