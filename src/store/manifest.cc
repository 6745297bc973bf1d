#include "store/manifest.h"

#include <fmt/core.h>

#include "store/digest.h"

namespace cria::store {

namespace {

OrderedJson layer_json(const Layer& l) {
  OrderedJson j;
  j["mediaType"] = l.media_type;
  j["digest"] = l.digest;
  j["size"] = l.size;
  if (!l.from.empty()) j["from"] = l.from;
  if (!l.name.empty()) j["name"] = l.name;
  return j;
}

Error field_error(std::string_view what, std::string_view field, std::string_view want) {
  return make_error(Errc::kCorrupt,
                    fmt::format("manifest {}: field \"{}\" must be {}", what, field, want));
}

// Reads an optional string field; a present field of another type is an error.
Status get_string(const Json& j, const char* key, std::string& out, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_string()) return field_error(what, key, "a string");
  out = it->get<std::string>();
  return {};
}

Status get_strings(const Json& j, const char* key, std::vector<std::string>& out,
                   std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_array()) return field_error(what, key, "an array of strings");
  for (const auto& e : *it) {
    if (!e.is_string()) return field_error(what, key, "an array of strings");
    out.push_back(e.get<std::string>());
  }
  return {};
}

Status get_int(const Json& j, const char* key, int64_t& out, std::string_view what) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_number_integer()) return field_error(what, key, "an integer");
  out = it->get<int64_t>();
  return {};
}

Result<Layer> decode_layer(const Json& j, std::string_view what) {
  if (!j.is_object()) return field_error(what, "layers", "an array of objects");
  Layer l;
  CRIA_RETURN_IF_ERROR(get_string(j, "mediaType", l.media_type, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "digest", l.digest, what));
  CRIA_RETURN_IF_ERROR(get_int(j, "size", l.size, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "from", l.from, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "name", l.name, what));
  if (!l.digest.empty() && !Digest::is_valid(l.digest)) {
    return make_error(Errc::kCorrupt,
                      fmt::format("manifest {}: invalid layer digest \"{}\"", what, l.digest));
  }
  return l;
}

}  // namespace

std::string Manifest::encode() const {
  OrderedJson j;
  j["schemaVersion"] = schema_version;
  j["mediaType"] = media_type;
  j["config"] = layer_json(config);
  j["layers"] = OrderedJson::array();
  for (const auto& l : layers) j["layers"].push_back(layer_json(l));
  return go_json(j);
}

Result<Manifest> Manifest::decode(std::string_view bytes, std::string_view what) {
  CRIA_ASSIGN_OR_RETURN(Json j, parse_json(bytes, fmt::format("manifest {}", what)));
  if (!j.is_object()) return field_error(what, "(top level)", "an object");
  Manifest m;
  int64_t version = 0;
  CRIA_RETURN_IF_ERROR(get_int(j, "schemaVersion", version, what));
  m.schema_version = static_cast<int>(version);
  m.media_type.clear();
  CRIA_RETURN_IF_ERROR(get_string(j, "mediaType", m.media_type, what));
  if (auto it = j.find("config"); it != j.end() && !it->is_null()) {
    CRIA_ASSIGN_OR_RETURN(m.config, decode_layer(*it, what));
  }
  if (auto it = j.find("layers"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return field_error(what, "layers", "an array of objects");
    for (const auto& e : *it) {
      CRIA_ASSIGN_OR_RETURN(Layer l, decode_layer(e, what));
      m.layers.push_back(std::move(l));
    }
  }
  return m;
}

int64_t Manifest::total_size() const {
  int64_t n = config.size;
  for (const auto& l : layers) n += l.size;
  return n;
}

const Layer* Manifest::find(std::string_view type) const {
  for (const auto& l : layers) {
    if (l.media_type == type) return &l;
  }
  return nullptr;
}

std::string ModelConfig::encode() const {
  OrderedJson j;
  j["model_format"] = model_format;
  j["model_family"] = model_family;
  j["model_families"] = model_families;
  j["model_type"] = model_type;
  j["file_type"] = file_type;
  if (!renderer.empty()) j["renderer"] = renderer;
  if (!parser.empty()) j["parser"] = parser;
  if (!requires_version.empty()) j["requires"] = requires_version;
  if (!remote_host.empty()) j["remote_host"] = remote_host;
  if (!remote_model.empty()) j["remote_model"] = remote_model;
  if (!capabilities.empty()) j["capabilities"] = capabilities;
  if (context_length != 0) j["context_length"] = context_length;
  if (embedding_length != 0) j["embedding_length"] = embedding_length;
  if (!base_name.empty()) j["base_name"] = base_name;
  j["architecture"] = architecture;
  j["os"] = os;
  j["rootfs"] = OrderedJson{{"type", "layers"}, {"diff_ids", diff_ids}};
  return go_json(j);
}

Result<ModelConfig> ModelConfig::decode(std::string_view bytes, std::string_view what) {
  CRIA_ASSIGN_OR_RETURN(Json j, parse_json(bytes, fmt::format("model config {}", what)));
  if (!j.is_object()) return field_error(what, "(config)", "an object");
  ModelConfig c;
  c.model_format.clear();
  c.architecture.clear();
  c.os.clear();
  CRIA_RETURN_IF_ERROR(get_string(j, "model_format", c.model_format, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "model_family", c.model_family, what));
  CRIA_RETURN_IF_ERROR(get_strings(j, "model_families", c.model_families, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "model_type", c.model_type, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "file_type", c.file_type, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "renderer", c.renderer, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "parser", c.parser, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "requires", c.requires_version, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "remote_host", c.remote_host, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "remote_model", c.remote_model, what));
  CRIA_RETURN_IF_ERROR(get_strings(j, "capabilities", c.capabilities, what));
  CRIA_RETURN_IF_ERROR(get_int(j, "context_length", c.context_length, what));
  CRIA_RETURN_IF_ERROR(get_int(j, "embedding_length", c.embedding_length, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "base_name", c.base_name, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "architecture", c.architecture, what));
  CRIA_RETURN_IF_ERROR(get_string(j, "os", c.os, what));
  if (auto it = j.find("rootfs"); it != j.end() && it->is_object()) {
    CRIA_RETURN_IF_ERROR(get_strings(*it, "diff_ids", c.diff_ids, what));
  }
  return c;
}

}  // namespace cria::store
