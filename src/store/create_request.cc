// CreateRequest::from_json: the body of POST /api/create.
#include <fmt/core.h>

#include "store/create.h"
#include "store/params.h"

namespace cria::store {

namespace {

Error bad_field(std::string_view field, std::string_view want) {
  return make_error(Errc::kInvalidArgument,
                    fmt::format("invalid create request: \"{}\" must be {}", field, want));
}

Status get_string(const Json& body, const char* key, std::string& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_string()) return bad_field(key, "a string");
  out = it->get<std::string>();
  return {};
}

// Go's fs.ValidPath: relative, slash-separated, no empty, "." or ".." element.
bool is_valid_file_path(std::string_view p) {
  if (p.empty() || p.front() == '/' || p.back() == '/') return false;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = std::min(p.find('/', i), p.size());
    std::string_view e = p.substr(i, j - i);
    if (e.empty() || e == "." || e == "..") return false;
    i = j + 1;
  }
  return p.find('\\') == std::string_view::npos;
}

Status get_files(const Json& body, const char* key, std::map<std::string, std::string>& out) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_object()) return bad_field(key, "an object of file name to digest");
  for (auto f = it->begin(); f != it->end(); ++f) {
    if (!f.value().is_string()) return bad_field(key, "an object of file name to digest");
    if (!is_valid_file_path(f.key())) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("file path \"{}\" must be relative, without '..'", f.key()));
    }
    const std::string d = f.value().get<std::string>();
    if (!Digest::is_valid(d)) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("invalid digest \"{}\" for file \"{}\": expected "
                                    "sha256:<64 hex digits>",
                                    d, f.key()));
    }
    out[f.key()] = d;
  }
  return {};
}

Status get_license(const Json& body, std::vector<std::string>& out) {
  auto it = body.find("license");
  if (it == body.end() || it->is_null()) return {};
  if (it->is_string()) {
    if (!it->get<std::string>().empty()) out.push_back(it->get<std::string>());
    return {};
  }
  if (!it->is_array()) return bad_field("license", "a string or an array of strings");
  for (const auto& l : *it) {
    if (!l.is_string()) return bad_field("license", "a string or an array of strings");
    out.push_back(l.get<std::string>());
  }
  return {};
}

Status get_messages(const Json& body, Json& out) {
  auto it = body.find("messages");
  if (it == body.end() || it->is_null()) return {};
  if (!it->is_array()) return bad_field("messages", "an array of {role, content} objects");
  for (const auto& m : *it) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string() ||
        (m.contains("content") && !m["content"].is_string())) {
      return bad_field("messages", "an array of {role, content} objects");
    }
    std::string role = m["role"].get<std::string>();
    for (char& c : role) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string content = m.contains("content") ? m["content"].get<std::string>() : "";
    out.push_back(Json{{"role", role}, {"content", content}});
  }
  return {};
}

}  // namespace

Result<CreateRequest> CreateRequest::from_json(const Json& body) {
  if (!body.is_object()) {
    return make_error(Errc::kInvalidArgument, "invalid create request: expected a JSON object");
  }
  CreateRequest r;
  CRIA_RETURN_IF_ERROR(get_string(body, "name", r.model));  // deprecated spelling
  std::string model;
  CRIA_RETURN_IF_ERROR(get_string(body, "model", model));
  if (!model.empty()) r.model = model;
  CRIA_RETURN_IF_ERROR(get_string(body, "quantization", r.quantize));  // deprecated
  std::string quantize;
  CRIA_RETURN_IF_ERROR(get_string(body, "quantize", quantize));
  if (!quantize.empty()) r.quantize = quantize;
  CRIA_RETURN_IF_ERROR(get_string(body, "from", r.from));
  CRIA_RETURN_IF_ERROR(get_string(body, "template", r.template_text));
  CRIA_RETURN_IF_ERROR(get_string(body, "system", r.system));
  CRIA_RETURN_IF_ERROR(get_string(body, "renderer", r.renderer));
  CRIA_RETURN_IF_ERROR(get_string(body, "parser", r.parser));
  CRIA_RETURN_IF_ERROR(get_string(body, "requires", r.requires_version));
  CRIA_RETURN_IF_ERROR(get_files(body, "files", r.files));
  CRIA_RETURN_IF_ERROR(get_files(body, "adapters", r.adapters));
  CRIA_RETURN_IF_ERROR(get_license(body, r.license));
  CRIA_RETURN_IF_ERROR(get_messages(body, r.messages));
  if (auto it = body.find("parameters"); it != body.end()) {
    CRIA_ASSIGN_OR_RETURN(r.parameters, normalize_params(*it));
  }
  return r;
}

}  // namespace cria::store
