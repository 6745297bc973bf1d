#include "support/shared_data.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cria::test {

std::string shared_dir() {
  const char* env = std::getenv("CRIA_SHARED");
  std::string dir = env != nullptr && *env != '\0' ? env : CRIA_SHARED_DEFAULT;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return "";
  return std::filesystem::weakly_canonical(dir, ec).string();
}

std::string source_dir() {
  return CRIA_SOURCE_DIR;
}

bool in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "0" && std::string(ci) != "false";
}

std::vector<std::string> shared_files(const std::string& subdir, const std::string& suffix) {
  std::vector<std::string> out;
  const std::string root = shared_dir();
  if (root.empty()) return out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root + "/" + subdir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string p = it->path().string();
    if (it->is_regular_file() && p.size() >= suffix.size() &&
        p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0) {
      out.push_back(p);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cria::test
