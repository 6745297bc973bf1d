// A blob download in ranged parts, with Ollama's on-disk state so that an
// interrupted pull resumes where it stopped (and a pull Ollama left half done
// resumes here): the bytes go into blobs/sha256-<hex>-partial, preallocated to
// the blob's size, and each part's progress into sha256-<hex>-partial-<N>, one
// JSON line {"N":0,"Offset":0,"Size":104857600,"Completed":52428800}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace cria::registry {

struct PartState {
  int n = 0;
  int64_t offset = 0;
  int64_t size = 0;
  int64_t completed = 0;

  int64_t starts_at() const { return offset + completed; }
  int64_t stops_at() const { return offset + size; }
  bool done() const { return completed >= size; }
};

// Ollama's plan: 16 parts, each between 100 MB and 1 GB (the last one shorter).
// `part_size` > 0 forces that size instead (tests, slow links).
std::vector<PartState> plan_parts(int64_t total, int64_t part_size = 0);

std::string encode_part(const PartState& p);
Result<PartState> decode_part(std::string_view json, std::string_view what);

std::string partial_path(const std::string& blob_path);
std::string part_path(const std::string& blob_path, int n);

// The saved parts of `blob_path` (none when there are none), sorted by N. An
// unreadable or inconsistent set is an error: the caller starts over.
Result<std::vector<PartState>> read_parts(const std::string& blob_path);
Status write_part(const std::string& blob_path, const PartState& p);
// Removes the partial file and every part file.
void remove_partial(const std::string& blob_path);

}  // namespace cria::registry
