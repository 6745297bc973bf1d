// pull_model: manifest, blobs (download.h), manifest written last.
#include <memory>
#include <set>

#include <fmt/core.h>

#include "registry/client.h"
#include "registry/registry.h"
#include "store/store_fs.h"

namespace cria::registry {

namespace {

Error cancelled() {
  return make_error(Errc::kUnavailable, "the pull was cancelled");
}

ClientOptions client_options(const RegistryOptions& o) {
  return ClientOptions{o.insecure, o.key_path, o.transport};
}

// GET .../manifests/<tag>: the manifest's bytes as the registry sent them.
Result<std::string> fetch_manifest(RegistryClient& client, const store::Name& name) {
  HttpRequest r;
  r.url = client.url("manifests/" + name.tag);
  r.headers.emplace_back("Accept", std::string(store::media::kManifest));
  auto res = client.call(r);
  if (!res.ok()) return make_error(res.error().code, "pull model manifest: " + res.error().message);
  if (res->status == 404) {
    return make_error(Errc::kNotFound, "pull model manifest: file does not exist");
  }
  if (res->status >= 400) {
    Error e = status_error(*res);
    return make_error(e.code, "pull model manifest: " + e.message);
  }
  return std::move(res->body);
}

std::vector<store::Layer> all_layers(const store::Manifest& m) {
  std::vector<store::Layer> layers = m.layers;
  if (!m.config.digest.empty()) layers.push_back(m.config);
  return layers;
}

Status pull_layers(store::Store& store, const std::shared_ptr<RegistryClient>& client,
                   const store::Manifest& m, const RegistryOptions& o, const ProgressFn& progress) {
  for (const store::Layer& layer : all_layers(m)) {
    CRIA_ASSIGN_OR_RETURN(store::Digest d, store::Digest::parse(layer.digest));
    CRIA_RETURN_IF_ERROR(store::make_dirs(store.blobs_dir()));
    BlobRequest req{client, d.str(), layer.size, store.blob_path(d), o.download};
    std::string status = "pulling " + d.hex().substr(0, 12);
    CRIA_RETURN_IF_ERROR(download_blob(req, [&](int64_t completed, int64_t total) {
      return progress(Progress{status, d.str(), total, completed});
    }));
  }
  return {};
}

// The layers of the manifest being replaced that the new one does not use.
bool replaces_layers(const std::optional<store::Manifest>& old, const store::Manifest& m) {
  if (!old) return false;
  std::set<std::string> now;
  for (const auto& l : all_layers(m)) now.insert(l.digest);
  for (const auto& l : all_layers(*old)) {
    if (!now.count(l.digest)) return true;
  }
  return false;
}

}  // namespace

Status pull_model(store::Store& store, std::string_view name_text, const RegistryOptions& o,
                  const ProgressFn& progress) {
  CRIA_ASSIGN_OR_RETURN(store::Name name, store::Name::parse(name_text));
  CRIA_RETURN_IF_ERROR(check_scheme(name, o.insecure));
  store::Name target = store.canonical(name);
  std::optional<store::Manifest> old;
  if (auto sm = store.read_manifest(target); sm.ok()) old = sm->manifest;
  if (!progress(Progress::of("pulling manifest"))) return cancelled();
  auto client = std::make_shared<RegistryClient>(name, client_options(o));
  CRIA_ASSIGN_OR_RETURN(std::string bytes, fetch_manifest(*client, name));
  auto manifest = store::Manifest::decode(bytes, name.display_shortest());
  if (!manifest.ok()) {
    return make_error(Errc::kCorrupt, "pull model manifest: " + manifest.error().message);
  }
  CRIA_RETURN_IF_ERROR(pull_layers(store, client, *manifest, o, progress));
  // Each blob was hashed before it got its name (download.h); those already
  // here were verified when they arrived.
  if (!progress(Progress::of("verifying sha256 digest"))) return cancelled();
  if (!progress(Progress::of("writing manifest"))) return cancelled();
  CRIA_RETURN_IF_ERROR(store.write_manifest_bytes(target, bytes));
  if (o.prune && replaces_layers(old, *manifest)) {
    progress(Progress::of("removing unused layers"));
    if (Status st = store.remove_unreferenced(*old); !st.ok()) {
      progress(Progress::of(fmt::format("couldn't remove unused layers: {}", st.error().message)));
    }
  }
  progress(Progress::of("success"));
  return {};
}

}  // namespace cria::registry
