// A conversation with a model through the server (/api/chat), shared by
// `cria run PROMPT` and the interactive REPL.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "cli/client.h"

namespace cria::cli {

struct ChatSettings {
  std::string model;
  std::string system;  // "" : the model's own
  Json options = Json::object();
  std::string format;  // "" or "json"
  Json keep_alive;     // null: the server's default
  bool verbose = false;
};

class ChatSession {
 public:
  ChatSession(const Client& client, ChatSettings settings)
      : client_(client), s_(std::move(settings)) {}

  // Loads the model (an empty chat request): fails when it does not exist.
  Status load();
  // Sends one user message and prints the answer as it streams. `cancel` set
  // (Ctrl+C) stops the answer; the partial answer stays in the history.
  Status ask(const std::string& text, const std::atomic<bool>& cancel);
  void clear() { messages_.clear(); }

  ChatSettings& settings() { return s_; }
  const std::vector<Json>& messages() const { return messages_; }

 private:
  Json request(bool with_messages) const;

  const Client& client_;
  ChatSettings s_;
  std::vector<Json> messages_;
};

// Ollama's --verbose statistics ("total duration:       1.2s", ...).
std::string format_stats(const Json& done);
// Go's time.Duration formatting: "1.5s", "12.345ms", "2m3.5s".
std::string go_duration(int64_t ns);

}  // namespace cria::cli
