// Stop strings over streamed text: text that may be the start of a stop string
// is held back until it is known not to be, and generation ends at the first
// complete stop string, which is not emitted (Ollama's behaviour).
#pragma once

#include <string>
#include <vector>

namespace cria::runner {

class StopMatcher {
 public:
  explicit StopMatcher(std::vector<std::string> stops);

  // Adds generated text. Returns the text that is now safe to emit; sets
  // stopped() when a stop string completed (the text before it is returned).
  std::string push(const std::string& text);
  // What is still held back (at the end of generation).
  std::string flush();
  bool stopped() const { return stopped_; }

 private:
  // Length of the longest suffix of pending_ that is a proper prefix of a stop string.
  size_t partial_suffix() const;

  std::vector<std::string> stops_;
  std::string pending_;
  bool stopped_ = false;
};

}  // namespace cria::runner
