// A model resolved from its manifest: what the scheduler loads and what
// /api/show reports.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "store/go_json.h"
#include "store/manifest.h"
#include "store/name.h"
#include "store/store.h"

namespace cria::store {

struct Model {
  Name name;                   // as stored
  std::string short_name;      // display_shortest()
  std::string digest;          // manifest digest (hex), Ollama's model ID
  Clock::time_point modified;  // manifest mtime
  Manifest manifest;
  ModelConfig config;

  std::string model_path;    // the GGUF model blob; "" for a remote-only model
  std::string parent_model;  // the model layer's "from"
  std::vector<std::string> adapter_paths;
  std::vector<std::string> projector_paths;
  std::optional<std::string> template_text;  // the TEMPLATE layer, if any
  std::string system;
  Json params = Json::object();   // the params layer: option name -> value
  Json messages = Json::array();  // [{"role":..., "content":...}, ...]
  std::vector<std::string> licenses;
};

// Reads the manifest, config and small layers of `name`. NotFound when the
// model does not exist; kCorrupt when a layer is missing or malformed (the
// message says which and suggests pulling or creating it again).
Result<Model> resolve(const Store& store, const Name& name);

}  // namespace cria::store
