// push_model: every blob (upload.h), then the manifest's bytes as stored.
#include <memory>

#include "registry/client.h"
#include "registry/registry.h"
#include "store/store_fs.h"

namespace cria::registry {

namespace {

Error cancelled() {
  return make_error(Errc::kUnavailable, "the push was cancelled");
}

Status push_layers(const store::Store& store, const std::shared_ptr<RegistryClient>& client,
                   const store::Manifest& m, const RegistryOptions& o, const ProgressFn& progress) {
  std::vector<store::Layer> layers = m.layers;
  if (!m.config.digest.empty()) layers.push_back(m.config);
  for (const store::Layer& layer : layers) {
    CRIA_ASSIGN_OR_RETURN(store::Digest d, store::Digest::parse(layer.digest));
    UploadRequest req{client, layer, store.blob_path(d), o.upload};
    req.layer.digest = d.str();
    std::string status = "pushing " + d.hex().substr(0, 12);
    CRIA_RETURN_IF_ERROR(upload_blob(req, [&](int64_t completed, int64_t total) {
      return progress(Progress{status, d.str(), total, completed});
    }));
  }
  return {};
}

}  // namespace

Status push_model(const store::Store& store, std::string_view name_text, const RegistryOptions& o,
                  const ProgressFn& progress) {
  CRIA_ASSIGN_OR_RETURN(store::Name name, store::Name::parse(name_text));
  CRIA_RETURN_IF_ERROR(check_scheme(name, o.insecure));
  if (!progress(Progress::of("retrieving manifest"))) return cancelled();
  auto sm = store.read_manifest(name);
  if (!sm.ok()) {
    progress(Progress::of("couldn't retrieve manifest"));
    return std::move(sm).error();
  }
  CRIA_ASSIGN_OR_RETURN(std::string bytes, store::read_file(sm->path));
  store::Name remote = sm->name;
  remote.scheme = name.scheme;
  auto client =
      std::make_shared<RegistryClient>(remote, ClientOptions{o.insecure, o.key_path, o.transport});
  CRIA_RETURN_IF_ERROR(push_layers(store, client, sm->manifest, o, progress));
  if (!progress(Progress::of("pushing manifest"))) return cancelled();
  HttpRequest put;
  put.method = "PUT";
  put.url = client->url("manifests/" + sm->name.tag);
  put.headers.emplace_back("Content-Type", std::string(store::media::kManifest));
  put.body = std::move(bytes);
  CRIA_RETURN_IF_ERROR(client->call_ok(std::move(put)));
  progress(Progress::of("success"));
  return {};
}

}  // namespace cria::registry
