#include "store/name.h"

#include <optional>

#include <fmt/core.h>

namespace cria::store {

namespace {

enum class Part { kHost, kNamespace, kModel, kTag };

const char* part_name(Part p) {
  switch (p) {
    case Part::kHost:
      return "host";
    case Part::kNamespace:
      return "namespace";
    case Part::kModel:
      return "model";
    case Part::kTag:
      return "tag";
  }
  return "part";
}

bool is_word_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

size_t max_len(Part p) {
  return p == Part::kHost ? 350 : 80;
}

// Why `s` is not a valid part of kind `p`, or "" when it is.
std::string part_problem(Part p, std::string_view s) {
  if (s.empty()) return fmt::format("the {} is empty", part_name(p));
  if (s.size() > max_len(p)) {
    return fmt::format("the {} is longer than {} characters", part_name(p), max_len(p));
  }
  if (!is_word_char(s[0])) {
    return fmt::format("the {} \"{}\" must start with a letter, digit or underscore", part_name(p),
                       s);
  }
  for (char c : s.substr(1)) {
    if (is_word_char(c) || c == '-') continue;
    if (c == '.' && p != Part::kNamespace) continue;
    if (c == ':' && p == Part::kHost) continue;
    return fmt::format("the {} \"{}\" contains '{}' (allowed: letters, digits, '_', '-'{}{})",
                       part_name(p), s, c, p == Part::kNamespace ? "" : ", '.'",
                       p == Part::kHost ? ", ':'" : "");
  }
  return "";
}

// Splits at the last `sep`: `s` keeps what is before, the result is what follows.
std::optional<std::string> cut_last(std::string_view& s, char sep) {
  size_t i = s.rfind(sep);
  if (i == std::string_view::npos) return std::nullopt;
  std::string after(s.substr(i + 1));
  s = s.substr(0, i);
  return after;
}

Status check_parts(const Name& n, std::string_view original) {
  const std::pair<Part, const std::string*> parts[] = {{Part::kHost, &n.host},
                                                       {Part::kNamespace, &n.ns},
                                                       {Part::kModel, &n.model},
                                                       {Part::kTag, &n.tag}};
  for (const auto& [kind, value] : parts) {
    std::string problem = part_problem(kind, *value);
    if (!problem.empty()) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("invalid model name \"{}\": {}; a name looks like "
                                    "[host/][namespace/]model[:tag]",
                                    original, problem));
    }
  }
  return {};
}

}  // namespace

bool is_valid_host(std::string_view s) {
  return part_problem(Part::kHost, s).empty();
}
bool is_valid_namespace(std::string_view s) {
  return part_problem(Part::kNamespace, s).empty();
}
bool is_valid_model(std::string_view s) {
  return part_problem(Part::kModel, s).empty();
}
bool is_valid_tag(std::string_view s) {
  return part_problem(Part::kTag, s).empty();
}

bool equal_fold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

Result<Name> Name::parse(std::string_view s) {
  Name n;
  std::string_view rest = s;
  // A ':' after the last '/' starts the tag; one before it is a host's port.
  size_t colon = rest.rfind(':');
  size_t slash = rest.rfind('/');
  bool has_tag =
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash);
  if (has_tag) n.tag = *cut_last(rest, ':');
  if (auto model = cut_last(rest, '/')) {
    n.model = *model;
    if (auto ns = cut_last(rest, '/')) {
      n.ns = *ns;
      size_t sep = rest.find("://");
      if (sep != std::string_view::npos) {
        n.scheme = std::string(rest.substr(0, sep));
        rest = rest.substr(sep + 3);
      }
      n.host = std::string(rest);
    } else {
      n.ns = std::string(rest);
      n.host = std::string(kDefaultHost);
    }
  } else {
    n.model = std::string(rest);
    n.ns = std::string(kDefaultNamespace);
    n.host = std::string(kDefaultHost);
  }
  if (!has_tag) n.tag = std::string(kDefaultTag);
  if (n.scheme != "https" && n.scheme != "http") {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("invalid model name \"{}\": unknown scheme \"{}\"", s, n.scheme));
  }
  CRIA_RETURN_IF_ERROR(check_parts(n, s));
  return n;
}

Result<Name> Name::from_relative_path(std::string_view rel) {
  Name n;
  std::string_view rest = rel;
  auto tag = cut_last(rest, '/');
  auto model = tag ? cut_last(rest, '/') : std::nullopt;
  auto ns = model ? cut_last(rest, '/') : std::nullopt;
  if (!ns || rest.find('/') != std::string_view::npos) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("manifest path \"{}\" is not host/namespace/model/tag", rel));
  }
  n.host = std::string(rest);
  n.ns = *ns;
  n.model = *model;
  n.tag = *tag;
  CRIA_RETURN_IF_ERROR(check_parts(n, rel));
  return n;
}

std::string Name::to_string() const {
  return fmt::format("{}/{}/{}:{}", host, ns, model, tag);
}

std::string Name::display_shortest() const {
  if (!store::equal_fold(host, kDefaultHost))
    return fmt::format("{}/{}/{}:{}", host, ns, model, tag);
  if (!store::equal_fold(ns, kDefaultNamespace)) return fmt::format("{}/{}:{}", ns, model, tag);
  return fmt::format("{}:{}", model, tag);
}

std::string Name::relative_path() const {
  return fmt::format("{}/{}/{}/{}", host, ns, model, tag);
}

bool Name::equal_fold(const Name& o) const {
  return store::equal_fold(host, o.host) && store::equal_fold(ns, o.ns) &&
         store::equal_fold(model, o.model) && store::equal_fold(tag, o.tag);
}

}  // namespace cria::store
