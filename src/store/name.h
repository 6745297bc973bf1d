// Model names as Ollama spells them: [host/][namespace/]model[:tag], with the
// defaults registry.ollama.ai, library and latest. Every part is checked with
// Ollama's character and length rules, so a valid name is also a safe
// relative path (no "..", no "/", no empty part).
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace cria::store {

inline constexpr std::string_view kDefaultHost = "registry.ollama.ai";
inline constexpr std::string_view kDefaultNamespace = "library";
inline constexpr std::string_view kDefaultTag = "latest";

struct Name {
  std::string host;
  std::string ns;  // namespace
  std::string model;
  std::string tag;
  std::string scheme = "https";  // "http" for an insecure registry; not part of equality

  // Parses and validates, filling in defaults. The error names the part at fault.
  static Result<Name> parse(std::string_view s);
  // Parses a manifest path relative to manifests/: host/namespace/model/tag.
  static Result<Name> from_relative_path(std::string_view rel);

  // host/namespace/model:tag
  std::string to_string() const;
  // As `ollama list` shows it: model:tag, namespace/model:tag or host/namespace/model:tag.
  std::string display_shortest() const;
  // host/namespace/model/tag, relative to the manifests directory.
  std::string relative_path() const;

  // Case-insensitive comparison of host, namespace, model and tag (Ollama's EqualFold).
  bool equal_fold(const Name& o) const;
};

// Ollama's part rules: 1-80 characters (host: 350); the first is a letter,
// digit or underscore; the rest also '-', '_', '.' (not in a namespace) and
// ':' (host only, for a port).
bool is_valid_host(std::string_view s);
bool is_valid_namespace(std::string_view s);
bool is_valid_model(std::string_view s);
bool is_valid_tag(std::string_view s);

bool equal_fold(std::string_view a, std::string_view b);

}  // namespace cria::store
