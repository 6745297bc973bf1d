#include "cli/table.h"

#include <algorithm>

namespace cria::cli {

std::string render(const std::vector<Section>& sections) {
  std::string out;
  for (const auto& s : sections) {
    if (s.rows.empty()) continue;
    size_t width = 0;
    for (const auto& [k, v] : s.rows) width = std::max(width, k.size());
    out += "  " + s.title + "\n";
    for (const auto& [k, v] : s.rows) {
      std::string line = "    " + k;
      if (!k.empty()) line += std::string(width - k.size() + 4, ' ');
      line += v;
      out += line + "\n";
    }
    out += "\n";
  }
  return out;
}

Section lines_section(const std::string& title, const std::string& text, size_t max_lines) {
  Section sec{title, {}};
  size_t start = 0;
  while (start < text.size() && sec.rows.size() < max_lines) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) sec.rows.emplace_back("", text.substr(start, end - start));
    start = end + 1;
  }
  return sec;
}

}  // namespace cria::cli
