// Architectures by their GGUF name (`general.architecture`). Each architecture's file
// registers itself:
//
//   CRIA_REGISTER_ARCHITECTURE("llama", load_llama);
//
// so adding one is one new file (and its line in CMakeLists.txt).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "backend/weights.h"
#include "base/result.h"
#include "engine/models/model.h"
#include "gguf/reader.h"

namespace cria::engine {

// Reads the hyper-parameters, checks the tensors against them, loads the weights (the
// architecture decides which are matmul weights for cpu_repack) and returns the model.
using LoadModelFn = Result<std::unique_ptr<Model>> (*)(std::shared_ptr<const gguf::File> file,
                                                       const backend::WeightsOptions& options);

struct Architecture {
  std::string_view name;
  LoadModelFn load = nullptr;
};

// Returns true (for a static initialiser). Registering a name twice is a bug.
bool register_architecture(const Architecture& arch);
const Architecture* find_architecture(std::string_view name);
// The registered names, sorted.
std::vector<std::string_view> architectures();

// The model of `file`'s architecture; kUnsupported naming the known ones if there is none.
Result<std::unique_ptr<Model>> load_model(std::shared_ptr<const gguf::File> file,
                                          const backend::WeightsOptions& options = {});

}  // namespace cria::engine

#define CRIA_REGISTER_ARCHITECTURE(name, load)                       \
  [[maybe_unused]] static const bool cria_registered_architecture_ = \
      ::cria::engine::register_architecture({name, load})
