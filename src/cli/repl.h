// The interactive `cria run` prompt: ">>> ", """ multi-line input, /commands,
// Ctrl+C to stop an answer, Ctrl+D or /bye to leave.
#pragma once

#include "base/config.h"
#include "cli/chat_session.h"

namespace cria::cli {

int repl(const Config& config, ChatSession& session);

// Ctrl+C sets this flag (SIGINT handler without SA_RESTART).
void install_interrupt_handler();
std::atomic<bool>& interrupted();

}  // namespace cria::cli
