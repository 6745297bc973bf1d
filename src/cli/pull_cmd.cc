// `cria pull MODEL [--insecure]` and `cria push MODEL [--insecure]`.
#include "cli/pull_cmd.h"

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/flags.h"
#include "cli/progress.h"

namespace cria::cli {

namespace {

struct TransferArgs {
  std::string model;
  bool insecure = false;
};

Result<TransferArgs> parse(const Args& args) {
  TransferArgs t;
  Flags f(args);
  while (!f.done()) {
    if (f.take_switch("--insecure")) {
      t.insecure = true;
    } else if (t.model.empty() && f.peek()[0] != '-') {
      t.model = f.next();
    } else {
      return make_error(Errc::kInvalidArgument, fmt::format("unexpected argument '{}'", f.peek()));
    }
  }
  if (t.model.empty()) return make_error(Errc::kInvalidArgument, "a MODEL name is needed");
  return t;
}

int run_transfer(const Config& config, const Args& args, const char* path, const char* usage) {
  auto t = parse(args);
  if (!t.ok()) return usage_error(t.error().message, usage);
  Client client(config.host_addr);
  Status st = transfer_with_progress(client, path, t->model, t->insecure);
  return st.ok() ? 0 : fail(st.error());
}

}  // namespace

Status transfer_with_progress(const Client& client, const std::string& path,
                              const std::string& model, bool insecure) {
  ProgressPrinter printer(stderr);
  Json body = {{"model", model}, {"insecure", insecure}, {"stream", true}};
  Status st = client.stream(path, body, [&](const Json& line) {
    printer.update(line);
    return true;
  });
  printer.finish();
  return st;
}

int cmd_pull(const Config& config, const Args& args) {
  return run_transfer(config, args, "/api/pull", "cria pull MODEL [--insecure]");
}

int cmd_push(const Config& config, const Args& args) {
  return run_transfer(config, args, "/api/push", "cria push MODEL [--insecure]");
}

}  // namespace cria::cli
