// `cria create MODEL [-f Modelfile] [-q TYPE]`: parses the Modelfile here,
// uploads the files it names as blobs, then asks the server to create the model.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include <fmt/core.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "store/modelfile.h"
#include "store/store_fs.h"

namespace cria::cli {

namespace {

constexpr const char* kUsage = "cria create MODEL [-f Modelfile] [-q q4_K_M]";

Json request_json(const store::CreateRequest& r) {
  Json j = {{"model", r.model}, {"stream", true}};
  if (!r.from.empty()) j["from"] = r.from;
  if (!r.files.empty()) j["files"] = r.files;
  if (!r.adapters.empty()) j["adapters"] = r.adapters;
  if (!r.template_text.empty()) j["template"] = r.template_text;
  if (!r.system.empty()) j["system"] = r.system;
  if (!r.license.empty()) j["license"] = r.license;
  if (!r.parameters.empty()) j["parameters"] = Json::parse(r.parameters.dump());
  if (!r.messages.empty()) j["messages"] = Json::parse(r.messages.dump());
  if (!r.quantize.empty()) j["quantize"] = r.quantize;
  if (!r.requires_version.empty()) j["requires"] = r.requires_version;
  return j;
}

Status upload(const Client& client, const std::string& digest, const std::string& path) {
  CRIA_ASSIGN_OR_RETURN(bool have, client.has_blob(digest));
  if (have) return {};
  const bool tty = isatty(STDERR_FILENO);
  int last = -1;
  Status st = client.upload_blob(digest, path, [&](uint64_t done, uint64_t total) {
    int pct = total ? static_cast<int>(done * 100 / total) : 100;
    if (tty && pct != last) {
      std::fprintf(stderr, "\rcopying file %s %3d%%", digest.c_str(), pct);
      last = pct;
    }
  });
  if (tty) std::fprintf(stderr, "\n");
  return st;
}

}  // namespace

int cmd_create(const Config& config, const Args& args) {
  std::string name, file = "Modelfile", quantize;
  Flags f(args);
  while (!f.done()) {
    if (auto v = f.take("-f")) {
      file = *v;
    } else if (auto v2 = f.take("--file")) {
      file = *v2;
    } else if (auto q = f.take("-q")) {
      quantize = *q;
    } else if (auto q2 = f.take("--quantize")) {
      quantize = *q2;
    } else if (name.empty() && f.peek()[0] != '-') {
      name = f.next();
    } else {
      return usage_error(fmt::format("unexpected argument '{}'", f.peek()), kUsage);
    }
  }
  if (name.empty()) return usage_error("create needs a MODEL name", kUsage);
  auto text = store::read_file(file);
  if (!text.ok())
    return fail(make_error(Errc::kNotFound, fmt::format("cannot read the Modelfile {}: {}", file,
                                                        text.error().message)));
  auto mf = store::parse_modelfile(*text);
  if (!mf.ok())
    return fail(
        make_error(Errc::kInvalidArgument, fmt::format("{}: {}", file, mf.error().message)));
  for (const auto& w : mf->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  std::string dir = std::filesystem::absolute(file).parent_path().string();
  std::fprintf(stderr, "gathering model components\n");
  auto req = store::to_create_request(*mf, dir, config.home);
  if (!req.ok()) return fail(req.error());
  req->request.model = name;
  if (!quantize.empty()) req->request.quantize = quantize;
  Client client(config.host_addr);
  for (const auto& [digest, path] : req->uploads) {
    if (Status st = upload(client, digest, path); !st.ok()) return fail(st.error());
  }
  std::string last;
  Status st = client.stream("/api/create", request_json(req->request), [&](const Json& line) {
    std::string status = line.value("status", "");
    if (status != last) std::fprintf(stderr, "%s\n", status.c_str());
    last = status;
    return true;
  });
  return st.ok() ? 0 : fail(st.error());
}

}  // namespace cria::cli
