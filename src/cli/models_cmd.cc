// Client commands on the server's models: list/ls, ps, show, cp, rm, stop.
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "base/format.h"
#include "cli/client.h"
#include "cli/commands.h"
#include "cli/flags.h"

namespace cria::cli {

namespace {

// Seconds since the epoch of an RFC 3339 time ("2024-05-01T10:00:00.123+02:00").
int64_t parse_time(const std::string& s) {
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (!rest) return 0;
  int64_t t = timegm(&tm);
  while (*rest == '.' || (*rest >= '0' && *rest <= '9')) ++rest;
  int sign = 0, hh = 0, mm = 0;
  if (*rest == '+') sign = 1;
  if (*rest == '-') sign = -1;
  if (sign && std::sscanf(rest + 1, "%d:%d", &hh, &mm) == 2) t -= sign * (hh * 3600 + mm * 60);
  return t;
}

int64_t seconds_from_now(const std::string& time) {
  return parse_time(time) - static_cast<int64_t>(std::time(nullptr));
}

// Left-aligned columns separated by spaces, like Go's tabwriter in Ollama.
void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (width.size() <= i) width.push_back(0);
      width[i] = std::max(width[i], r[i].size());
    }
  for (const auto& r : rows) {
    std::string line;
    for (size_t i = 0; i < r.size(); ++i)
      line += i + 1 < r.size() ? fmt::format("{:<{}}    ", r[i], width[i]) : r[i];
    std::printf("%s\n", line.c_str());
  }
}

std::string short_id(const Json& m) {
  return m.value("digest", std::string()).substr(0, 12);
}

int one_name(const Args& args, const char* usage) {
  if (args.size() != 1) return usage_error("expected one model name", usage);
  return 0;
}

}  // namespace

int cmd_list(const Config& config, const Args& args) {
  if (!args.empty()) return usage_error("list takes no arguments", "cria list");
  auto tags = Client(config.host_addr).get("/api/tags");
  if (!tags.ok()) return fail(tags.error());
  std::vector<std::vector<std::string>> rows = {{"NAME", "ID", "SIZE", "MODIFIED"}};
  for (const Json& m : (*tags)["models"]) {
    rows.push_back({m.value("name", ""), short_id(m), human_bytes(m.value("size", uint64_t{0})),
                    human_time(seconds_from_now(m.value("modified_at", "")))});
  }
  print_table(rows);
  return 0;
}

int cmd_ps(const Config& config, const Args& args) {
  if (!args.empty()) return usage_error("ps takes no arguments", "cria ps");
  auto ps = Client(config.host_addr).get("/api/ps");
  if (!ps.ok()) return fail(ps.error());
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"}};
  for (const Json& m : (*ps)["models"]) {
    int64_t until = seconds_from_now(m.value("expires_at", ""));
    rows.push_back({m.value("name", ""), short_id(m), human_bytes(m.value("size", uint64_t{0})),
                    "100% CPU", std::to_string(m.value("context_length", 0)),
                    until < 0 ? "Stopping..." : human_time(until)});
  }
  print_table(rows);
  return 0;
}

int cmd_cp(const Config& config, const Args& args) {
  if (args.size() != 2)
    return usage_error("expected SOURCE and DESTINATION", "cria cp SOURCE DESTINATION");
  auto r =
      Client(config.host_addr).post("/api/copy", {{"source", args[0]}, {"destination", args[1]}});
  if (!r.ok()) return fail(r.error());
  std::printf("copied '%s' to '%s'\n", args[0].c_str(), args[1].c_str());
  return 0;
}

int cmd_rm(const Config& config, const Args& args) {
  if (args.empty())
    return usage_error("expected at least one model name", "cria rm MODEL [MODEL...]");
  Client client(config.host_addr);
  for (const auto& name : args) {
    Status st = client.del("/api/delete", {{"model", name}});
    if (!st.ok()) return fail(st.error());
    std::printf("deleted '%s'\n", name.c_str());
  }
  return 0;
}

int cmd_stop(const Config& config, const Args& args) {
  if (int rc = one_name(args, "cria stop MODEL")) return rc;
  Client client(config.host_addr);
  auto ps = client.get("/api/ps");
  if (!ps.ok()) return fail(ps.error());
  bool loaded = false;
  for (const Json& m : (*ps)["models"]) {
    std::string n = m.value("name", "");
    if (n == args[0] || n == args[0] + ":latest") loaded = true;
  }
  if (!loaded)
    return fail(
        make_error(Errc::kNotFound, fmt::format("couldn't find model \"{}\" to stop", args[0])));
  auto r = client.post("/api/generate", {{"model", args[0]}, {"keep_alive", 0}, {"stream", false}});
  if (!r.ok()) return fail(r.error());
  return 0;
}

}  // namespace cria::cli
