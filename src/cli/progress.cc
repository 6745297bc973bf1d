#include "cli/progress.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/core.h>

#include "base/format.h"

namespace cria::cli {

namespace {

constexpr int kBarWidth = 30;

std::string bar(int64_t completed, int64_t total) {
  int filled = total > 0 ? static_cast<int>(completed * kBarWidth / total) : 0;
  filled = std::clamp(filled, 0, kBarWidth);
  std::string out = "\u2595";
  for (int i = 0; i < kBarWidth; ++i) out += i < filled ? "\u2588" : " ";
  return out + "\u258f";
}

}  // namespace

ProgressPrinter::ProgressPrinter(std::FILE* out) : out_(out), tty_(isatty(fileno(out)) != 0) {}

void ProgressPrinter::update(const api::Json& line) {
  std::string status = line.value("status", "");
  if (status.empty()) return;
  const int64_t total = line.value("total", int64_t{0});
  const int64_t completed = line.value("completed", int64_t{0});
  const bool blob = line.contains("digest") && total > 0;
  if (status != current_) {
    finish();
    current_ = status;
    if (!blob || !tty_) {
      std::fprintf(out_, "%s\n", status.c_str());
      std::fflush(out_);
      return;
    }
    open_ = true;
    draw(status, completed, total, true);
    return;
  }
  if (open_) draw(status, completed, total, completed >= total);
}

void ProgressPrinter::draw(const std::string& status, int64_t completed, int64_t total,
                           bool force) {
  auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  int pct = total > 0 ? static_cast<int>(completed * 100 / total) : 0;
  std::string sizes = completed >= total
                          ? human_bytes(static_cast<uint64_t>(total))
                          : fmt::format("{}/{}", human_bytes(static_cast<uint64_t>(completed)),
                                        human_bytes(static_cast<uint64_t>(total)));
  std::fprintf(out_, "\r%s: %3d%% %s %s\x1b[K", status.c_str(), pct, bar(completed, total).c_str(),
               sizes.c_str());
  std::fflush(out_);
}

void ProgressPrinter::finish() {
  if (!open_) return;
  std::fprintf(out_, "\n");
  std::fflush(out_);
  open_ = false;
}

}  // namespace cria::cli
