#include "registry/parts.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "base/fs.h"

namespace cria::registry {

namespace fs = std::filesystem;

namespace {

constexpr int kParts = 16;
constexpr int64_t kMinPart = 100'000'000;
constexpr int64_t kMaxPart = 1'000'000'000;

// Files named <blob>-partial-<digits>.
std::vector<std::string> part_files(const std::string& blob_path) {
  std::vector<std::string> out;
  fs::path p(blob_path);
  std::string prefix = p.filename().string() + "-partial-";
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(p.parent_path(), ec)) {
    std::string name = e.path().filename().string();
    if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
    std::string digits = name.substr(prefix.size());
    if (std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      out.push_back(e.path().string());
    }
  }
  return out;
}

}  // namespace

std::vector<PartState> plan_parts(int64_t total, int64_t part_size) {
  int64_t size = part_size;
  if (size <= 0) size = std::clamp(total / kParts, kMinPart, kMaxPart);
  std::vector<PartState> parts;
  for (int64_t offset = 0; offset < total; offset += size) {
    parts.push_back(
        PartState{static_cast<int>(parts.size()), offset, std::min(size, total - offset), 0});
  }
  return parts;
}

std::string encode_part(const PartState& p) {
  return fmt::format("{{\"N\":{},\"Offset\":{},\"Size\":{},\"Completed\":{}}}\n", p.n, p.offset,
                     p.size, p.completed);
}

Result<PartState> decode_part(std::string_view json, std::string_view what) {
  auto j = nlohmann::json::parse(json, nullptr, false);
  auto bad = [&] {
    return make_error(Errc::kCorrupt, fmt::format("{}: not a download part state", what));
  };
  if (!j.is_object()) return bad();
  PartState p;
  try {
    p.n = j.at("N").get<int>();
    p.offset = j.at("Offset").get<int64_t>();
    p.size = j.at("Size").get<int64_t>();
    p.completed = j.at("Completed").get<int64_t>();
  } catch (const nlohmann::json::exception&) {
    return bad();
  }
  if (p.n < 0 || p.offset < 0 || p.size < 0 || p.completed < 0 || p.completed > p.size) {
    return bad();
  }
  return p;
}

std::string partial_path(const std::string& blob_path) {
  return blob_path + "-partial";
}

std::string part_path(const std::string& blob_path, int n) {
  return fmt::format("{}-partial-{}", blob_path, n);
}

Result<std::vector<PartState>> read_parts(const std::string& blob_path) {
  std::vector<PartState> parts;
  for (const std::string& path : part_files(blob_path)) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) return make_error(Errc::kIo, fmt::format("cannot read {}", path));
    char buf[512];
    size_t n = std::fread(buf, 1, sizeof buf, f);
    std::fclose(f);
    CRIA_ASSIGN_OR_RETURN(PartState p, decode_part(std::string_view(buf, n), path));
    parts.push_back(p);
  }
  std::sort(parts.begin(), parts.end(), [](const auto& a, const auto& b) { return a.n < b.n; });
  int64_t offset = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].n != static_cast<int>(i) || parts[i].offset != offset) {
      return make_error(Errc::kCorrupt,
                        fmt::format("the saved parts of {} do not tile the blob", blob_path));
    }
    offset += parts[i].size;
  }
  return parts;
}

Status write_part(const std::string& blob_path, const PartState& p) {
  // Replaced atomically: a process killed while saving leaves the old state,
  // never a torn file that would make the whole download start over.
  std::string text = encode_part(p);
  return write_file_atomic(part_path(blob_path, p.n), [&](FileSink& sink) {
    return sink.write({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  });
}

void remove_partial(const std::string& blob_path) {
  std::error_code ec;
  for (const std::string& path : part_files(blob_path)) fs::remove(path, ec);
  fs::remove(partial_path(blob_path), ec);
}

}  // namespace cria::registry
