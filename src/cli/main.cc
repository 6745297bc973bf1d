// cria: configuration is read once here and passed down as values.
#include <cstdio>

#include "base/config.h"
#include "base/log.h"
#include "cli/commands.h"

int main(int argc, char** argv) {
  auto config = cria::Config::from_env(cria::process_env());
  if (!config.ok()) {
    std::fprintf(stderr, "Error: %s\n", config.error().message.c_str());
    return 2;
  }
  cria::log::set_level(config->log_level);
  return cria::cli::run(*config, cria::cli::Args(argv + 1, argv + argc));
}
