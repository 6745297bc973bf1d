// Parsed GGUF files the server reads metadata from (templates, /api/show, memory
// estimates), kept open so that a request does not re-parse a vocabulary of
// 150,000 strings. An entry is reused while the file's size and modification
// time are unchanged; the few most recently used files are kept.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "gguf/reader.h"

namespace cria::server {

Result<std::shared_ptr<const gguf::File>> open_gguf_cached(const std::string& path);

}  // namespace cria::server
