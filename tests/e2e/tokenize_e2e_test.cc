// `cria tokenize` on the bundled model and on a BPE vocabulary.
#include <string>

#include <gtest/gtest.h>

#include "e2e/process.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

const std::string kModel = source_dir() + "/models/stories260K.gguf";

TEST(TokenizeE2E, BundledModelWithAndWithoutBos) {
  RunResult plain = run_process({CRIA_BIN, "tokenize", "--model", kModel, "Once upon a time"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_EQ(plain.out, "1 403 407 261 378\n");
  RunResult json =
      run_process({CRIA_BIN, "tokenize", "--model", kModel, "--json", "Once upon a time"});
  EXPECT_EQ(json.out, "[1,403,407,261,378]\n");
  RunResult no_bos =
      run_process({CRIA_BIN, "tokenize", "--model", kModel, "--no-bos", "Once upon a time"});
  EXPECT_EQ(no_bos.out, "403 407 261 378\n");
}

TEST(TokenizeE2E, SpecialTokensInTextAreNotParsed) {
  RunResult r = run_process({CRIA_BIN, "tokenize", "--model", kModel, "--no-bos", "<s>"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out, "1\n");  // "<s>" as text, not the BOS id
}

TEST(TokenizeE2E, Errors) {
  EXPECT_EQ(run_process({CRIA_BIN, "tokenize", "hello"}).exit_code, 2);
  EXPECT_EQ(run_process({CRIA_BIN, "tokenize", "--model", kModel}).exit_code, 2);
  RunResult missing = run_process({CRIA_BIN, "tokenize", "--model", "/nope.gguf", "x"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("/nope.gguf"), std::string::npos);
}

}  // namespace
}  // namespace cria::test
