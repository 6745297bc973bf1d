// Splits a byte stream into NDJSON objects, across chunk boundaries.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "api/options.h"

namespace cria::sched {

class NdjsonSplitter {
 public:
  // Calls on_object for each complete line; returns false when a line is not
  // JSON or on_object returned false.
  bool push(std::string_view bytes, const std::function<bool(const api::Json&)>& on_object) {
    buf_.append(bytes);
    size_t start = 0;
    for (size_t nl; (nl = buf_.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(buf_.data() + start, nl - start);
      if (line.empty()) continue;
      api::Json j = api::Json::parse(line, nullptr, false);
      if (j.is_discarded() || !on_object(j)) {
        buf_.clear();
        return false;
      }
    }
    buf_.erase(0, start);
    return true;
  }

 private:
  std::string buf_;
};

}  // namespace cria::sched
