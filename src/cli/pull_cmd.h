// `cria pull` and `cria push` share this with `cria run` (a missing model is pulled first).
#pragma once

#include <string>

#include "base/result.h"
#include "cli/client.h"

namespace cria::cli {

// POST /api/pull (or /api/push) with progress bars on stderr.
Status transfer_with_progress(const Client& client, const std::string& path,
                              const std::string& model, bool insecure);

}  // namespace cria::cli
