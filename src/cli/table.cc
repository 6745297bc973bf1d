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

}  // namespace cria::cli
