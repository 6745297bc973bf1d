#include "base/cpu.h"

#include <sched.h>

#include <fstream>
#include <set>
#include <string>
#include <utility>

namespace cria {

namespace {

int read_int(const std::string& path, int fallback) {
  std::ifstream in(path);
  int v = fallback;
  if (in >> v) return v;
  return fallback;
}

}  // namespace

int logical_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

int physical_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return 1;
  // A core is identified by (package, core id); its hyper-threads share it.
  std::set<std::pair<int, int>> cores;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/topology/";
    cores.emplace(read_int(dir + "physical_package_id", 0), read_int(dir + "core_id", cpu));
  }
  return cores.empty() ? 1 : static_cast<int>(cores.size());
}

}  // namespace cria
