// `cria devices`: the compute devices this build of cria can use.
#include <cstdio>

#include <fmt/core.h>

#include "backend/device.h"
#include "base/cpu.h"
#include "base/format.h"
#include "cli/commands.h"
#include "cli/table.h"

namespace cria::cli {

int cmd_devices(const Config& config, const Args& args) {
  if (!args.empty()) {
    std::fprintf(stderr, "Error: devices takes no arguments\n");
    return 2;
  }
  Section sec{"Devices", {}};
  for (const auto& d : backend::list_devices()) {
    sec.rows.emplace_back(
        d.name,
        fmt::format("{:<6} {} free of {}  {}", backend::device_kind_name(d.kind),
                    human_bytes(d.memory_free), human_bytes(d.memory_total), d.description));
  }
  const int threads = config.num_threads > 0 ? config.num_threads : physical_cores();
  Section cpu{"CPU threads",
              {{"default", fmt::format("{} ({} physical cores, {} logical CPUs)", threads,
                                       physical_cores(), logical_cpus())}}};
  std::fputs(render({sec, cpu}).c_str(), stdout);
  return 0;
}

}  // namespace cria::cli
