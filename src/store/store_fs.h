// File-system helpers of the store (internal): no exceptions, errors name the path.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/fs.h"
#include "base/result.h"
#include "store/name.h"

namespace cria::store {

struct FileInfo {
  std::string name;  // file name only (list_files)
  int64_t size = 0;
  std::chrono::system_clock::time_point modified;
};

Status make_dirs(const std::string& dir);
// A regular file's size and modification time; NotFound when absent.
Result<FileInfo> file_info(const std::string& path);
// Sets the modification time to now; failures are ignored.
void touch(const std::string& path);
Result<std::string> read_file(const std::string& path);
Status copy_file_into(const std::string& path, FileSink& sink);
Status remove_file(const std::string& path);
// Regular files directly in `dir` (none when it does not exist).
std::vector<FileInfo> list_files(const std::string& dir);
// Names of the manifests under `manifests_dir` (host/namespace/model/tag
// files with valid parts), sorted by path.
std::vector<Name> list_manifest_names(const std::string& manifests_dir);
// Removes empty directories below `dir` (not `dir` itself).
void remove_empty_subdirs(const std::string& dir);
// Removes write_file_atomic leftovers ("<tag>.tmp-XXXXXX") older than `cutoff`.
int remove_manifest_temp_files(const std::string& manifests_dir,
                               std::chrono::system_clock::time_point cutoff);

}  // namespace cria::store
