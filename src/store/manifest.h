// Manifests (Docker image manifest v2 schema 2) and the model config blob,
// with Ollama's field names and media types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/go_json.h"

namespace cria::store {

namespace media {
inline constexpr std::string_view kManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kModel = "application/vnd.ollama.image.model";
inline constexpr std::string_view kTemplate = "application/vnd.ollama.image.template";
inline constexpr std::string_view kPrompt = "application/vnd.ollama.image.prompt";  // old name
inline constexpr std::string_view kSystem = "application/vnd.ollama.image.system";
inline constexpr std::string_view kParams = "application/vnd.ollama.image.params";
inline constexpr std::string_view kMessages = "application/vnd.ollama.image.messages";
inline constexpr std::string_view kLicense = "application/vnd.ollama.image.license";
inline constexpr std::string_view kAdapter = "application/vnd.ollama.image.adapter";
inline constexpr std::string_view kProjector = "application/vnd.ollama.image.projector";
}  // namespace media

struct Layer {
  std::string media_type;
  std::string digest;  // sha256:<hex>
  int64_t size = 0;
  std::string from;  // the model or file it came from (omitted when empty)
  std::string name;  // tensor name for tensor layers (omitted when empty)
};

struct Manifest {
  int schema_version = 2;
  std::string media_type = std::string(media::kManifest);
  Layer config;
  std::vector<Layer> layers;

  // Bytes as Ollama writes them (compact JSON and a newline).
  std::string encode() const;
  // The error names `what` (a path or a model name) and the field at fault.
  static Result<Manifest> decode(std::string_view bytes, std::string_view what);

  // Sum of the layer and config sizes (what `ollama list` shows).
  int64_t total_size() const;
  // The first layer of this media type, or nullptr.
  const Layer* find(std::string_view type) const;
};

// Ollama's ConfigV2: what `show` reports as the model's details.
struct ModelConfig {
  std::string model_format = "gguf";
  std::string model_family;
  std::vector<std::string> model_families;
  std::string model_type;  // parameter size, "8.0B"
  std::string file_type;   // quantization, "Q4_0"
  std::string renderer;
  std::string parser;
  std::string requires_version;  // "requires": the lowest Ollama version
  std::string remote_host;
  std::string remote_model;
  std::vector<std::string> capabilities;
  int64_t context_length = 0;
  int64_t embedding_length = 0;
  std::string base_name;
  std::string architecture = "amd64";
  std::string os = "linux";
  std::vector<std::string> diff_ids;  // rootfs.diff_ids: the layer digests

  std::string encode() const;
  static Result<ModelConfig> decode(std::string_view bytes, std::string_view what);
};

}  // namespace cria::store
