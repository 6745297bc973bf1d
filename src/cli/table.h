// Ollama-style sections of key/value rows for terminal output.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace cria::cli {

struct Section {
  std::string title;
  std::vector<std::pair<std::string, std::string>> rows;  // a row with an empty key is a line
};

// "  Title\n    key    value\n" with keys padded to a common width, a blank line after.
std::string render(const std::vector<Section>& sections);

}  // namespace cria::cli
