// `cria show MODEL [--license|--modelfile|--parameters|--system|--template]`.
#include <cstdio>

#include <fmt/core.h>

#include "base/format.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/table.h"

namespace cria::cli {

namespace {

constexpr const char* kUsage =
    "cria show MODEL [--license|--modelfile|--parameters|--system|--template] [--verbose]";

std::string info_value(const Json& info, const std::string& suffix) {
  std::string arch = info.value("general.architecture", "");
  auto it = info.find(arch + "." + suffix);
  return it == info.end() ? "" : it->dump();
}

Section model_section(const Json& show) {
  Section sec{"Model", {}};
  Json info = show.value("model_info", Json::object());
  Json details = show.value("details", Json::object());
  auto row = [&](const char* k, const std::string& v) {
    if (!v.empty()) sec.rows.emplace_back(k, v);
  };
  row("architecture", info.value("general.architecture", ""));
  row("parameters", details.value("parameter_size", ""));
  row("context length", info_value(info, "context_length"));
  row("embedding length", info_value(info, "embedding_length"));
  row("quantization", details.value("quantization_level", ""));
  return sec;
}

void print_sections(const Json& show, bool verbose) {
  std::vector<Section> sections = {model_section(show)};
  Section caps{"Capabilities", {}};
  Json capabilities = show.value("capabilities", Json::array());
  for (const Json& c : capabilities)
    if (c.is_string()) caps.rows.emplace_back("", c.get<std::string>());
  sections.push_back(caps);
  if (show.contains("parameters"))
    sections.push_back(lines_section("Parameters", show["parameters"], 100));
  if (show.contains("system")) sections.push_back(lines_section("System", show["system"], 2));
  if (show.contains("license")) sections.push_back(lines_section("License", show["license"], 2));
  if (verbose) {
    Section meta{"Metadata", {}};
    Json info = show.value("model_info", Json::object());
    for (const auto& [k, v] : info.items())
      meta.rows.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    sections.push_back(meta);
  }
  std::fputs(render(sections).c_str(), stdout);
}

}  // namespace

int show_model(const Config& config, const Args& args) {
  std::string name, field;
  bool verbose = false;
  for (const auto& a : args) {
    if (a == "--license" || a == "--modelfile" || a == "--parameters" || a == "--system" ||
        a == "--template") {
      if (!field.empty())
        return usage_error("only one of --license, --modelfile, --parameters, --system, --template",
                           kUsage);
      field = a.substr(2);
    } else if (a == "--verbose" || a == "-v") {
      verbose = true;
    } else if (!a.empty() && a[0] != '-' && name.empty()) {
      name = a;
    } else {
      return usage_error(fmt::format("unexpected argument '{}'", a), kUsage);
    }
  }
  if (name.empty()) return usage_error("show needs a MODEL name (or --file PATH)", kUsage);
  auto show = Client(config.host_addr).post("/api/show", {{"model", name}, {"verbose", verbose}});
  if (!show.ok()) return fail(show.error());
  if (field.empty()) {
    print_sections(*show, verbose);
  } else {
    std::string text = show->value(field, "");
    std::printf("%s\n", text.c_str());
  }
  return 0;
}

}  // namespace cria::cli
