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

// A section of the first `max_lines` non-empty lines of `text`, without keys.
Section lines_section(const std::string& title, const std::string& text, size_t max_lines);

}  // namespace cria::cli
