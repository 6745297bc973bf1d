// Access to test data outside the repository (../shared, or $CRIA_SHARED).
// With CI set, missing data fails the test; otherwise the test is skipped
// with a visible notice.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cria::test {

// The shared data directory, or "" when it does not exist.
std::string shared_dir();
// The repository's source directory (for files the repo ships, like models/).
std::string source_dir();
bool in_ci();
// Every regular file under shared_dir()/<subdir> (recursively) ending in `suffix`, sorted.
std::vector<std::string> shared_files(const std::string& subdir, const std::string& suffix);
std::string read_text(const std::string& path);

}  // namespace cria::test

// Sets `var` to the absolute path of `rel` inside the shared directory, or
// skips (outside CI) / fails (in CI) the current test when it is missing.
#define CRIA_REQUIRE_SHARED(var, rel)                                           \
  std::string var = ::cria::test::shared_dir();                                 \
  if (!var.empty()) var += "/" + std::string(rel);                              \
  if (var.empty() || !std::filesystem::exists(var)) {                           \
    if (::cria::test::in_ci())                                                  \
      FAIL() << "test data missing in CI: " << (rel) << " (set CRIA_SHARED)";   \
    GTEST_SKIP() << "NOTICE: test data " << (rel)                               \
                 << " not found; set CRIA_SHARED to the shared data directory"; \
  }
