// Modelfile -> create request (the client side of `ollama create`), and
// rendering a stored model back as a Modelfile.
#include <sys/stat.h>

#include <filesystem>

#include <fmt/core.h>

#include "store/modelfile.h"
#include "store/params.h"

namespace cria::store {

namespace {

namespace fs = std::filesystem;

std::string expand_path(const std::string& path, const std::string& relative_dir,
                        const std::string& home) {
  if (!path.empty() && path[0] == '/') return path;
  if (path == "~" || path.rfind("~/", 0) == 0) return home + path.substr(1);
  return (fs::path(relative_dir) / path).lexically_normal().string();
}

bool is_regular_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_directory(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Hashes a local file into `files` under its base name (made unique).
Status add_local_file(const ModelfileCommand& cmd, const std::string& path,
                      std::map<std::string, std::string>& files, ModelfileRequest& out) {
  auto d = sha256_file(path);
  if (!d.ok()) {
    return make_error(d.error().code, fmt::format("line {}: {}", cmd.line, d.error().message));
  }
  std::string name = fs::path(path).filename().string();
  for (int i = 2; files.count(name); ++i)
    name = fmt::format("{}-{}", i, fs::path(path).filename().string());
  files[name] = d->str();
  out.uploads[d->str()] = path;
  return {};
}

Status apply_from(const ModelfileCommand& cmd, const std::string& path, ModelfileRequest& out) {
  if (is_regular_file(path)) return add_local_file(cmd, path, out.request.files, out);
  if (is_directory(path)) {
    return make_error(Errc::kUnsupported,
                      fmt::format("line {}: FROM {} is a directory; only GGUF files are "
                                  "supported, name the .gguf file",
                                  cmd.line, cmd.args));
  }
  auto name = Name::parse(cmd.args);
  if (!name.ok()) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("line {}: FROM {}: no such file, and {}", cmd.line, cmd.args,
                                  name.error().message));
  }
  out.request.from = cmd.args;
  return {};
}

Status apply_command(const ModelfileCommand& cmd, const std::string& relative_dir,
                     const std::string& home, ModelfileRequest& out) {
  CreateRequest& r = out.request;
  if (cmd.is_parameter) {
    if (cmd.name == "stop") {
      if (!r.parameters.contains("stop")) r.parameters["stop"] = Json::array();
      r.parameters["stop"].push_back(cmd.value);
    } else {
      r.parameters[cmd.name] = cmd.value;
    }
  } else if (cmd.name == "model") {
    CRIA_RETURN_IF_ERROR(apply_from(cmd, expand_path(cmd.args, relative_dir, home), out));
  } else if (cmd.name == "adapter") {
    std::string path = expand_path(cmd.args, relative_dir, home);
    if (!is_regular_file(path)) {
      return make_error(Errc::kNotFound,
                        fmt::format("line {}: ADAPTER {}: no such file", cmd.line, cmd.args));
    }
    CRIA_RETURN_IF_ERROR(add_local_file(cmd, path, r.adapters, out));
  } else if (cmd.name == "template") {
    r.template_text = cmd.args;
  } else if (cmd.name == "system") {
    r.system = cmd.args;
  } else if (cmd.name == "license") {
    r.license.push_back(cmd.args);
  } else if (cmd.name == "renderer") {
    r.renderer = cmd.args;
  } else if (cmd.name == "parser") {
    r.parser = cmd.args;
  } else if (cmd.name == "requires") {
    r.requires_version = cmd.args[0] == 'v' ? cmd.args.substr(1) : cmd.args;
  } else if (cmd.name == "message") {
    size_t sep = cmd.args.find(": ");
    r.messages.push_back(
        Json{{"role", cmd.args.substr(0, sep)},
             {"content", sep == std::string::npos ? "" : cmd.args.substr(sep + 2)}});
  }
  return {};
}

}  // namespace

Result<ModelfileRequest> to_create_request(const Modelfile& mf, const std::string& relative_dir,
                                           const std::string& home) {
  ModelfileRequest out;
  for (const auto& cmd : mf.commands) {
    CRIA_RETURN_IF_ERROR(apply_command(cmd, relative_dir, home, out));
  }
  return out;
}

}  // namespace cria::store
