// The `cria` command line: one function per command, dispatched by main().
#pragma once

#include <string>
#include <vector>

#include "base/config.h"

namespace cria::cli {

using Args = std::vector<std::string>;

// Each returns the process exit code: 0 success, 1 failure, 2 usage error.
int cmd_show(const Config& config, const Args& args);
int cmd_devices(const Config& config, const Args& args);
int cmd_tokenize(const Config& config, const Args& args);
int cmd_embed(const Config& config, const Args& args);
int cmd_logits(const Config& config, const Args& args);
int cmd_generate(const Config& config, const Args& args);
int cmd_bench(const Config& config, const Args& args);
int cmd_version(const Config& config, const Args& args);
int cmd_serve(const Config& config, const Args& args);
int cmd_runner(const Config& config, const Args& args);
int cmd_quantize(const Config& config, const Args& args);
int cmd_list(const Config& config, const Args& args);
int cmd_ps(const Config& config, const Args& args);
int cmd_cp(const Config& config, const Args& args);
int cmd_rm(const Config& config, const Args& args);
int cmd_stop(const Config& config, const Args& args);
int cmd_create(const Config& config, const Args& args);
int cmd_run(const Config& config, const Args& args);
int cmd_pull(const Config& config, const Args& args);
int cmd_push(const Config& config, const Args& args);
// `cria show MODEL [...]`: a model in the store, through the server.
int show_model(const Config& config, const Args& args);

int run(const Config& config, const Args& args);

}  // namespace cria::cli
