#include "store/store.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include "base/log.h"
#include "store/store_fs.h"

namespace cria::store {

namespace fs = std::filesystem;

namespace {

// Hashes what passes through to the real file.
class HashingSink final : public FileSink {
 public:
  explicit HashingSink(FileSink& inner) : inner_(inner) {}
  Status write(std::span<const uint8_t> bytes) override {
    hash_.update(bytes);
    return inner_.write(bytes);
  }
  uint64_t written() const override { return inner_.written(); }
  Digest finish() { return hash_.finish(); }

 private:
  FileSink& inner_;
  Sha256 hash_;
};

// An interrupted pull's "sha256-<hex>-partial[-N]": kept for it to resume.
bool is_resume_state(const std::string& name) {
  constexpr size_t kBlobName = 71;  // "sha256-" and 64 hex digits
  return name.size() > kBlobName && Digest::parse(name.substr(0, kBlobName)).ok() &&
         name.compare(kBlobName, 8, "-partial") == 0 && name.find(".tmp-") == std::string::npos;
}

Error not_found(const Name& n) {
  return make_error(Errc::kNotFound, fmt::format("model \"{}\" not found", n.display_shortest()));
}

}  // namespace

Store::Store(std::string root) : root_(std::move(root)) {}

std::string Store::manifests_dir() const {
  return root_ + "/manifests";
}
std::string Store::blobs_dir() const {
  return root_ + "/blobs";
}
std::string Store::blob_path(const Digest& d) const {
  return blobs_dir() + "/" + d.file_name();
}
std::string Store::manifest_path(const Name& n) const {
  return manifests_dir() + "/" + n.relative_path();
}

Status Store::ensure_dirs() const {
  CRIA_RETURN_IF_ERROR(make_dirs(manifests_dir()));
  return make_dirs(blobs_dir());
}

bool Store::has_blob(const Digest& d) const {
  return file_info(blob_path(d)).ok();
}

Result<int64_t> Store::blob_size(const Digest& d) const {
  auto info = file_info(blob_path(d));
  if (!info.ok()) {
    return make_error(Errc::kNotFound, fmt::format("blob {} not found", d.str()));
  }
  return info->size;
}

Status Store::write_blob(const Digest& expected, const std::function<Status(FileSink&)>& fill) {
  CRIA_RETURN_IF_ERROR(ensure_dirs());
  return write_file_atomic(blob_path(expected), [&](FileSink& sink) -> Status {
    HashingSink hashing(sink);
    CRIA_RETURN_IF_ERROR(fill(hashing));
    Digest got = hashing.finish();
    if (!(got == expected)) {
      return make_error(
          Errc::kInvalidArgument,
          fmt::format("digest mismatch, expected \"{}\", got \"{}\"", expected.str(), got.str()));
    }
    return {};
  });
}

Result<Digest> Store::write_blob_bytes(std::string_view bytes, bool* existed) {
  Digest d = sha256_of(bytes);
  bool present = has_blob(d);
  if (existed) *existed = present;
  if (present) {
    touch(blob_path(d));  // keeps it out of a concurrent prune's reach
    return d;
  }
  CRIA_RETURN_IF_ERROR(write_blob(d, [&](FileSink& sink) {
    return sink.write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  }));
  return d;
}

Result<Digest> Store::import_file(const std::string& path) {
  CRIA_ASSIGN_OR_RETURN(Digest d, sha256_file(path));
  if (has_blob(d)) {
    touch(blob_path(d));
    return d;
  }
  CRIA_RETURN_IF_ERROR(write_blob(d, [&](FileSink& sink) { return copy_file_into(path, sink); }));
  return d;
}

Result<std::string> Store::read_blob(const Digest& d) const {
  auto bytes = read_file(blob_path(d));
  if (!bytes.ok() && bytes.error().code == Errc::kNotFound) {
    return make_error(Errc::kNotFound, fmt::format("blob {} not found", d.str()));
  }
  return bytes;
}

Name Store::canonical(const Name& n) const {
  // Ollama's getExistingName: each part takes the spelling already on disk.
  Name out = n;
  bool host = false, ns = false, model = false, tag = false;
  for (const Name& e : list_manifest_names(manifests_dir())) {
    if (!host && equal_fold(e.host, n.host)) out.host = e.host, host = true;
    if (!ns && equal_fold(e.ns, n.ns)) out.ns = e.ns, ns = true;
    if (!model && equal_fold(e.model, n.model)) out.model = e.model, model = true;
    if (!tag && equal_fold(e.tag, n.tag)) out.tag = e.tag, tag = true;
  }
  return out;
}

Result<StoredManifest> Store::read_manifest(const Name& n) const {
  StoredManifest sm;
  sm.name = canonical(n);
  sm.path = manifest_path(sm.name);
  auto bytes = read_file(sm.path);
  if (!bytes.ok()) {
    if (bytes.error().code == Errc::kNotFound) return not_found(n);
    return std::move(bytes).error();
  }
  CRIA_ASSIGN_OR_RETURN(sm.manifest, Manifest::decode(*bytes, sm.path));
  sm.digest = sha256_of(*bytes).hex();
  CRIA_ASSIGN_OR_RETURN(FileInfo info, file_info(sm.path));
  sm.modified = info.modified;
  return sm;
}

Status Store::write_manifest(const Name& n, const Manifest& m) {
  return write_manifest_bytes(n, m.encode());
}

Status Store::write_manifest_bytes(const Name& n, std::string_view bytes) {
  CRIA_RETURN_IF_ERROR(ensure_dirs());
  std::string path = manifest_path(n);
  CRIA_RETURN_IF_ERROR(make_dirs(fs::path(path).parent_path().string()));
  return write_file_atomic(path, [&](FileSink& sink) {
    return sink.write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  });
}

Result<std::vector<StoredManifest>> Store::manifests() const {
  std::vector<StoredManifest> out;
  for (const Name& n : list_manifest_names(manifests_dir())) {
    auto m = read_manifest(n);
    if (!m.ok()) {
      log::warn("skipping bad manifest {}: {}", n.to_string(), m.error().message);
      continue;
    }
    out.push_back(std::move(*m));
  }
  return out;
}

Result<std::vector<ListEntry>> Store::list() const {
  CRIA_ASSIGN_OR_RETURN(auto all, manifests());
  std::vector<ListEntry> out;
  for (auto& sm : all) {
    ListEntry e;
    e.name = sm.name;
    e.digest = sm.digest;
    e.size = sm.manifest.total_size();
    e.modified = sm.modified;
    if (const Layer* l = sm.manifest.find(media::kModel)) e.parent_model = l->from;
    if (auto d = Digest::parse(sm.manifest.config.digest); d.ok()) {
      auto bytes = read_blob(*d);
      auto cfg =
          bytes.ok() ? ModelConfig::decode(*bytes, d->str()) : Result<ModelConfig>(bytes.error());
      if (cfg.ok()) e.config = std::move(*cfg);
    }
    out.push_back(std::move(e));
  }
  return out;
}

Status Store::copy(const Name& src, const Name& dst) {
  CRIA_ASSIGN_OR_RETURN(StoredManifest sm, read_manifest(src));
  Name to = canonical(dst);
  if (manifest_path(to) == sm.path) return {};
  CRIA_ASSIGN_OR_RETURN(std::string bytes, read_file(sm.path));
  CRIA_RETURN_IF_ERROR(make_dirs(fs::path(manifest_path(to)).parent_path().string()));
  return write_file_atomic(manifest_path(to), [&](FileSink& sink) {
    return sink.write({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  });
}

void Store::remove_empty_dirs(const std::string& dir) const {
  remove_empty_subdirs(dir);
}

Status Store::remove(const Name& n, bool prune_blobs) {
  CRIA_ASSIGN_OR_RETURN(StoredManifest sm, read_manifest(n));
  CRIA_RETURN_IF_ERROR(remove_file(sm.path));
  remove_empty_dirs(manifests_dir());
  if (!prune_blobs) return {};
  return remove_unreferenced(sm.manifest);
}

Status Store::remove_unreferenced(const Manifest& m) {
  // Ollama's RemoveLayers: the blobs of `m` that no manifest uses.
  CRIA_ASSIGN_OR_RETURN(auto rest, manifests());
  std::set<std::string> in_use;
  for (const auto& other : rest) {
    in_use.insert(other.manifest.config.digest);
    for (const auto& l : other.manifest.layers) in_use.insert(l.digest);
  }
  std::vector<Layer> mine = m.layers;
  mine.push_back(m.config);
  for (const auto& l : mine) {
    auto d = Digest::parse(l.digest);
    if (!d.ok() || in_use.count(d->str())) continue;
    in_use.insert(d->str());  // a digest listed twice is removed once
    Status st = remove_file(blob_path(*d));
    if (!st.ok() && st.error().code != Errc::kNotFound) return st;
  }
  return {};
}

Result<PruneReport> Store::prune(const PruneOptions& opts) {
  PruneReport report;
  CRIA_ASSIGN_OR_RETURN(auto all, manifests());
  std::set<std::string> in_use;
  for (const auto& sm : all) {
    in_use.insert(sm.manifest.config.digest);
    for (const auto& l : sm.manifest.layers) in_use.insert(l.digest);
  }
  const auto cutoff = Clock::now() - opts.grace;
  for (const auto& f : list_files(blobs_dir())) {
    if (f.modified > cutoff) continue;
    std::string path = blobs_dir() + "/" + f.name;
    if (is_resume_state(f.name)) continue;
    auto d = Digest::parse(f.name);
    bool is_blob = d.ok() && f.name[6] == '-';
    if (is_blob && in_use.count(d->str())) continue;
    if (!remove_file(path).ok()) continue;
    (is_blob ? report.blobs_removed : report.temp_files_removed)++;
    report.bytes_freed += static_cast<uint64_t>(f.size);
  }
  report.temp_files_removed += remove_manifest_temp_files(manifests_dir(), cutoff);
  remove_empty_dirs(manifests_dir());
  return report;
}

}  // namespace cria::store
