#include "store/model.h"

#include <fmt/core.h>

namespace cria::store {

namespace {

Error missing_blob(const Model& m, const Layer& l) {
  return make_error(Errc::kCorrupt,
                    fmt::format("model \"{}\" is incomplete: blob {} ({}) is missing; pull or "
                                "create the model again",
                                m.short_name, l.digest, l.media_type));
}

Result<std::string> layer_text(const Store& store, const Model& m, const Layer& l,
                               std::string* path) {
  auto d = Digest::parse(l.digest);
  if (!d.ok()) return std::move(d).error();
  if (path) {
    *path = store.blob_path(*d);
    if (!store.has_blob(*d)) return missing_blob(m, l);
    return std::string();
  }
  auto text = store.read_blob(*d);
  if (!text.ok() && text.error().code == Errc::kNotFound) return missing_blob(m, l);
  return text;
}

Status apply_layer(const Store& store, const Layer& l, Model& m) {
  std::string path;
  const std::string_view mt = l.media_type;
  if (mt == media::kModel || mt == media::kAdapter || mt == media::kProjector) {
    CRIA_RETURN_IF_ERROR(layer_text(store, m, l, &path));
    if (mt == media::kModel) {
      m.model_path = path;
      m.parent_model = l.from;
    } else {
      (mt == media::kAdapter ? m.adapter_paths : m.projector_paths).push_back(path);
    }
    return {};
  }
  const bool known = mt == media::kTemplate || mt == media::kPrompt || mt == media::kSystem ||
                     mt == media::kParams || mt == media::kMessages || mt == media::kLicense;
  if (!known) return {};  // tensors, drafts, embeddings: not used here
  CRIA_ASSIGN_OR_RETURN(std::string text, layer_text(store, m, l, nullptr));
  if (mt == media::kTemplate || mt == media::kPrompt) {
    m.template_text = std::move(text);
  } else if (mt == media::kSystem) {
    m.system = std::move(text);
  } else if (mt == media::kLicense) {
    m.licenses.push_back(std::move(text));
  } else {
    CRIA_ASSIGN_OR_RETURN(Json j, parse_json(text, fmt::format("layer {}", l.digest)));
    bool params = mt == media::kParams;
    if (params ? !j.is_object() : !j.is_array()) {
      return make_error(Errc::kCorrupt,
                        fmt::format("layer {} of model \"{}\" must hold a JSON {}", l.digest,
                                    m.short_name, params ? "object" : "array"));
    }
    (params ? m.params : m.messages) = std::move(j);
  }
  return {};
}

}  // namespace

Result<Model> resolve(const Store& store, const Name& name) {
  CRIA_ASSIGN_OR_RETURN(StoredManifest sm, store.read_manifest(name));
  Model m;
  m.name = sm.name;
  m.short_name = sm.name.display_shortest();
  m.digest = sm.digest;
  m.modified = sm.modified;
  m.manifest = std::move(sm.manifest);
  if (!m.manifest.config.digest.empty()) {
    CRIA_ASSIGN_OR_RETURN(std::string cfg, layer_text(store, m, m.manifest.config, nullptr));
    CRIA_ASSIGN_OR_RETURN(m.config, ModelConfig::decode(cfg, m.manifest.config.digest));
  }
  for (const Layer& l : m.manifest.layers) CRIA_RETURN_IF_ERROR(apply_layer(store, l, m));
  return m;
}

}  // namespace cria::store
