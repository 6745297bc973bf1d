#include "engine/models/registry.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cria::engine {

namespace {

// A function-local table: safe to use from other files' static initialisers.
std::vector<Architecture>& table() {
  static std::vector<Architecture> archs;
  return archs;
}

}  // namespace

bool register_architecture(const Architecture& arch) {
  assert(arch.load != nullptr);
  assert(find_architecture(arch.name) == nullptr && "architecture registered twice");
  table().push_back(arch);
  return true;
}

const Architecture* find_architecture(std::string_view name) {
  for (const auto& a : table()) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

std::vector<std::string_view> architectures() {
  std::vector<std::string_view> names;
  for (const auto& a : table()) names.push_back(a.name);
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::unique_ptr<Model>> load_model(std::shared_ptr<const gguf::File> file,
                                          const backend::WeightsOptions& options) {
  const std::string_view name = file->architecture();
  const Architecture* arch = find_architecture(name);
  if (arch == nullptr) {
    return make_error(Errc::kUnsupported,
                      fmt::format("{}: unsupported architecture '{}' (supported: {})", file->path(),
                                  name, fmt::join(architectures(), ", ")));
  }
  return arch->load(std::move(file), options);
}

}  // namespace cria::engine
