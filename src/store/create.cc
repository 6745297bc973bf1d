#include "store/create.h"

#include <algorithm>
#include <cstdio>

#include <fmt/core.h>

#include "base/format.h"
#include "gguf/reader.h"
#include "gguf/summary.h"
#include "store/store_fs.h"

namespace cria::store {

namespace {

// A layer on its way into the manifest, with the status Ollama reports for it.
struct Pending {
  Layer layer;
  std::string status;
};

class Creator {
 public:
  Creator(Store& store, const CreateRequest& req, const CreateOptions& opts)
      : store_(store), req_(req), opts_(opts) {}

  Status run();

 private:
  void progress(std::string status) {
    if (!opts_.progress) return;
    CreateProgress p;
    p.status = std::move(status);
    opts_.progress(p);
  }
  Status from_model();
  Status from_files();
  Status add_adapters();
  Result<Pending> gguf_layer(const std::string& file, const std::string& digest,
                             std::string_view media_type);
  Result<gguf::File> open_gguf(const Layer& l, std::string_view what);
  Status describe_model_layer(Pending& p);
  Status quantize(Pending& p, const gguf::ModelSummary& s);
  Status detect_template(const gguf::File& f);
  Status set_text(std::string_view media_type, std::string_view text, bool replace);
  Status set_params();
  Status set_messages();
  Result<Pending> text_layer(std::string_view media_type, std::string_view text);
  void remove_layers(std::string_view media_type);

  Store& store_;
  const CreateRequest& req_;
  const CreateOptions& opts_;
  std::vector<Pending> layers_;
  std::vector<Pending> pending_detected_;  // template/params found in the GGUF
  ModelConfig config_;
};

Result<Pending> existing_layer(Store& store, const std::string& digest, std::string_view media_type,
                               const std::string& from) {
  CRIA_ASSIGN_OR_RETURN(Digest d, Digest::parse(digest));
  auto size = store.blob_size(d);
  if (!size.ok()) {
    return make_error(Errc::kNotFound, fmt::format("blob {} not found; upload it first with POST "
                                                   "/api/blobs/{}",
                                                   d.str(), d.str()));
  }
  touch(store.blob_path(d));
  Pending p;
  p.layer = Layer{std::string(media_type), d.str(), *size, from, ""};
  p.status = "using existing layer " + d.str();
  return p;
}

bool is_gguf_blob(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char magic[4] = {};
  size_t n = std::fread(magic, 1, 4, f);
  std::fclose(f);
  return n == 4 && std::string_view(magic, 4) == "GGUF";
}

std::string media_type_of(const gguf::File& f) {
  auto type = f.get_string("general.type");
  std::string_view t = type.ok() ? *type : std::string_view();
  if (t == "adapter") return std::string(media::kAdapter);
  if (t == "projector" || t == "mmproj" || f.architecture() == "clip") {
    return std::string(media::kProjector);
  }
  return std::string(media::kModel);
}

Result<gguf::File> Creator::open_gguf(const Layer& l, std::string_view what) {
  CRIA_ASSIGN_OR_RETURN(Digest d, Digest::parse(l.digest));
  std::string path = store_.blob_path(d);
  if (!is_gguf_blob(path)) {
    return make_error(
        Errc::kUnsupported,
        fmt::format("{} ({}) is not a GGUF file; only GGUF models are supported", what, l.digest));
  }
  auto f = gguf::File::open(path);
  if (!f.ok()) {
    return make_error(Errc::kCorrupt, fmt::format("{} ({}) is not a valid GGUF file: {}", what,
                                                  l.digest, f.error().message));
  }
  return f;
}

Result<Pending> Creator::gguf_layer(const std::string& file, const std::string& digest,
                                    std::string_view media_type) {
  progress("parsing GGUF");
  if (file.size() >= 12 && file.substr(file.size() - 12) == ".safetensors") {
    return make_error(Errc::kUnsupported,
                      fmt::format("\"{}\": safetensors models are not supported; convert the "
                                  "model to GGUF first",
                                  file));
  }
  CRIA_ASSIGN_OR_RETURN(Pending p, existing_layer(store_, digest, "", file));
  CRIA_ASSIGN_OR_RETURN(gguf::File f, open_gguf(p.layer, fmt::format("file \"{}\"", file)));
  p.layer.media_type = media_type.empty() ? media_type_of(f) : std::string(media_type);
  if (p.layer.media_type == media::kModel) CRIA_RETURN_IF_ERROR(detect_template(f));
  return p;
}

Status Creator::detect_template(const gguf::File& f) {
  auto chat = f.get_string("tokenizer.chat_template");
  if (!opts_.detect_template || !chat.ok() || chat->empty()) return {};
  auto t = opts_.detect_template(*chat);
  if (!t) return {};
  CRIA_ASSIGN_OR_RETURN(Pending p, text_layer(media::kTemplate, t->text));
  p.status = "using autodetected template " + t->name;
  pending_detected_.push_back(std::move(p));
  if (t->params.is_object() && !t->params.empty()) {
    CRIA_ASSIGN_OR_RETURN(Pending pp, text_layer(media::kParams, go_json(t->params)));
    pending_detected_.push_back(std::move(pp));
  }
  return {};
}

Status Creator::from_model() {
  auto from = Name::parse(req_.from);
  if (!from.ok()) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("invalid \"from\": {}", from.error().message));
  }
  auto base = store_.read_manifest(*from);
  if (!base.ok()) {
    if (base.error().code != Errc::kNotFound) return std::move(base).error();
    return make_error(Errc::kNotFound, fmt::format("base model \"{}\" not found; pull or create "
                                                   "it first",
                                                   req_.from));
  }
  const std::string from_name = base->name.display_shortest();
  for (const Layer& l : base->manifest.layers) {
    CRIA_ASSIGN_OR_RETURN(Pending p, existing_layer(store_, l.digest, l.media_type, from_name));
    p.layer.name = l.name;
    layers_.push_back(std::move(p));
  }
  // Ollama carries these over from the base config; the rest comes from the GGUF.
  if (auto d = Digest::parse(base->manifest.config.digest); d.ok()) {
    auto bytes = store_.read_blob(*d);
    auto cfg =
        bytes.ok() ? ModelConfig::decode(*bytes, d->str()) : Result<ModelConfig>(bytes.error());
    if (cfg.ok()) {
      if (config_.renderer.empty()) config_.renderer = cfg->renderer;
      if (config_.parser.empty()) config_.parser = cfg->parser;
      if (config_.requires_version.empty()) config_.requires_version = cfg->requires_version;
      if (!cfg->model_format.empty()) config_.model_format = cfg->model_format;
      config_.capabilities = cfg->capabilities;
    }
  }
  return {};
}

Status Creator::from_files() {
  int models = 0;
  for (const auto& [file, digest] : req_.files) {  // sorted by name, as Ollama sorts
    CRIA_ASSIGN_OR_RETURN(Pending p, gguf_layer(file, digest, ""));
    models += p.layer.media_type == media::kModel;
    layers_.push_back(std::move(p));
  }
  if (models > 1) {
    return make_error(Errc::kUnsupported,
                      "split GGUF models (several model files) are not "
                      "supported; merge them into one GGUF first");
  }
  for (auto& p : pending_detected_) layers_.push_back(std::move(p));
  pending_detected_.clear();
  return {};
}

Status Creator::add_adapters() {
  if (req_.adapters.empty()) return {};
  if (req_.adapters.size() > 1) {
    return make_error(Errc::kInvalidArgument, "only one adapter is currently supported");
  }
  const auto& [file, digest] = *req_.adapters.begin();
  CRIA_ASSIGN_OR_RETURN(Pending p, gguf_layer(file, digest, media::kAdapter));
  layers_.push_back(std::move(p));
  return {};
}

Status Creator::describe_model_layer(Pending& p) {
  CRIA_ASSIGN_OR_RETURN(gguf::File f, open_gguf(p.layer, "the model"));
  gguf::ModelSummary s = gguf::summarize(f);
  if (!req_.quantize.empty()) {
    const std::string before = p.layer.digest;
    CRIA_RETURN_IF_ERROR(quantize(p, s));
    if (p.layer.digest != before) {
      CRIA_ASSIGN_OR_RETURN(gguf::File q, open_gguf(p.layer, "the quantized model"));
      s = gguf::summarize(q);
    }
  }
  config_.model_format = "gguf";
  if (config_.model_family.empty()) config_.model_family = s.architecture;
  if (config_.model_type.empty()) config_.model_type = human_number(s.parameter_count);
  if (config_.file_type.empty()) config_.file_type = s.quantization;
  config_.model_families.push_back(s.architecture);
  return {};
}

Status Creator::quantize(Pending& p, const gguf::ModelSummary& s) {
  std::string want = req_.quantize;
  for (char& c : want) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (want == s.quantization) return {};
  if (s.quantization != "F16" && s.quantization != "BF16" && s.quantization != "F32") {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("quantization is only supported for F16, BF16 and F32 models; "
                                  "this model is {}",
                                  s.quantization));
  }
  if (!opts_.quantize) {
    return make_error(Errc::kUnsupported, "quantization is not available in this build");
  }
  CRIA_ASSIGN_OR_RETURN(Digest src, Digest::parse(p.layer.digest));
  CRIA_ASSIGN_OR_RETURN(Digest out, opts_.quantize(store_.blob_path(src), want, opts_.progress));
  CRIA_ASSIGN_OR_RETURN(Pending q, existing_layer(store_, out.str(), media::kModel, p.layer.from));
  q.status = "creating new layer " + out.str();
  p = std::move(q);
  return {};
}

Result<Pending> Creator::text_layer(std::string_view media_type, std::string_view text) {
  bool existed = false;
  CRIA_ASSIGN_OR_RETURN(Digest d, store_.write_blob_bytes(text, &existed));
  Pending p;
  p.layer = Layer{std::string(media_type), d.str(), static_cast<int64_t>(text.size()), "", ""};
  p.status = (existed ? "using existing layer " : "creating new layer ") + d.str();
  return p;
}

void Creator::remove_layers(std::string_view media_type) {
  std::erase_if(layers_, [&](const Pending& p) {
    return p.layer.media_type == media_type ||
           (media_type == media::kTemplate && p.layer.media_type == media::kPrompt);
  });
}

Status Creator::set_text(std::string_view media_type, std::string_view text, bool replace) {
  if (text.empty()) return {};
  if (replace) remove_layers(media_type);
  CRIA_ASSIGN_OR_RETURN(Pending p, text_layer(media_type, text));
  layers_.push_back(std::move(p));
  return {};
}

Status Creator::set_params() {
  Json params = req_.parameters.is_object() ? req_.parameters : Json::object();
  for (const Pending& p : layers_) {
    if (p.layer.media_type != media::kParams) continue;
    CRIA_ASSIGN_OR_RETURN(Digest d, Digest::parse(p.layer.digest));
    CRIA_ASSIGN_OR_RETURN(std::string bytes, store_.read_blob(d));
    CRIA_ASSIGN_OR_RETURN(Json old, parse_json(bytes, "parameters layer " + d.str()));
    if (!old.is_object()) continue;
    for (auto it = old.begin(); it != old.end(); ++it) {
      if (!params.contains(it.key())) params[it.key()] = it.value();
    }
  }
  if (params.empty()) return {};
  remove_layers(media::kParams);
  CRIA_ASSIGN_OR_RETURN(Pending p, text_layer(media::kParams, go_json(params)));
  layers_.push_back(std::move(p));
  return {};
}

Status Creator::set_messages() {
  if (!req_.messages.is_array() || req_.messages.empty()) return {};
  OrderedJson msgs = OrderedJson::array();
  for (const auto& m : req_.messages) {
    auto text = [&](const char* key) {
      auto it = m.is_object() ? m.find(key) : m.end();
      return it != m.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    msgs.push_back(OrderedJson{{"role", text("role")}, {"content", text("content")}});
  }
  remove_layers(media::kMessages);
  CRIA_ASSIGN_OR_RETURN(Pending p, text_layer(media::kMessages, go_json(msgs)));
  layers_.push_back(std::move(p));
  return {};
}

Status Creator::run() {
  CRIA_ASSIGN_OR_RETURN(Name parsed, Name::parse(req_.model));
  const Name name = store_.canonical(parsed);
  auto old = store_.read_manifest(name);
  config_.renderer = req_.renderer;
  config_.parser = req_.parser;
  config_.requires_version = req_.requires_version;
  if (!req_.from.empty()) {
    CRIA_RETURN_IF_ERROR(from_model());
  } else if (!req_.files.empty()) {
    CRIA_RETURN_IF_ERROR(from_files());
  } else {
    return make_error(Errc::kInvalidArgument, "neither 'from' or 'files' was specified");
  }
  CRIA_RETURN_IF_ERROR(add_adapters());
  for (Pending& p : layers_) {
    if (p.layer.media_type == media::kModel) CRIA_RETURN_IF_ERROR(describe_model_layer(p));
  }
  CRIA_RETURN_IF_ERROR(set_text(media::kTemplate, req_.template_text, true));
  CRIA_RETURN_IF_ERROR(set_text(media::kSystem, req_.system, true));
  for (const auto& l : req_.license) CRIA_RETURN_IF_ERROR(set_text(media::kLicense, l, false));
  CRIA_RETURN_IF_ERROR(set_params());
  CRIA_RETURN_IF_ERROR(set_messages());

  Manifest m;
  for (const Pending& p : layers_) {
    m.layers.push_back(p.layer);
    config_.diff_ids.push_back(p.layer.digest);
  }
  CRIA_ASSIGN_OR_RETURN(Pending cfg, text_layer(media::kConfig, config_.encode()));
  m.config = cfg.layer;
  for (const Pending& p : layers_) progress(p.status);
  progress("writing manifest");
  CRIA_RETURN_IF_ERROR(store_.write_manifest(name, m));
  if (opts_.prune_replaced && old.ok())
    CRIA_RETURN_IF_ERROR(store_.remove_unreferenced(old->manifest));
  progress("success");
  return {};
}

}  // namespace

Status create_model(Store& store, const CreateRequest& req, const CreateOptions& opts) {
  return Creator(store, req, opts).run();
}

}  // namespace cria::store
