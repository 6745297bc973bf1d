// `cria logits --model F --tokens "1 2 3" [--top 20]`: evaluates the ids in one
// batch and prints one JSON line per position:
//   {"pos":i,"top":[[id,logit],...],"mean":m,"std":s}
// top sorted by logit (descending, ties by id); mean and std over the whole row.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "cli/commands.h"
#include "cli/engine_config.h"
#include "cli/flags.h"
#include "engine/runner/context.h"

namespace cria::cli {

namespace {

constexpr const char* kUsage = "cria logits --model PATH.gguf --tokens \"1 2 3\" [--top 20]";

std::string row_json(int pos, std::span<const float> row, int top, std::vector<int32_t>& order) {
  order.resize(row.size());
  std::iota(order.begin(), order.end(), 0);
  const auto k = static_cast<size_t>(std::min<int>(top, static_cast<int>(row.size())));
  std::partial_sort(
      order.begin(), order.begin() + static_cast<long>(k), order.end(),
      [&](int32_t a, int32_t b) { return row[a] > row[b] || (row[a] == row[b] && a < b); });
  double sum = 0, sq = 0;
  for (float v : row) sum += v;
  const double mean = sum / static_cast<double>(row.size());
  for (float v : row) sq += (v - mean) * (v - mean);
  const double std = std::sqrt(sq / static_cast<double>(row.size()));
  std::string out = fmt::format("{{\"pos\":{},\"top\":[", pos);
  for (size_t i = 0; i < k; ++i) {
    out += fmt::format("{}[{},{:.9g}]", i ? "," : "", order[i], row[order[i]]);
  }
  return out + fmt::format("],\"mean\":{:.9g},\"std\":{:.9g}}}", mean, std);
}

}  // namespace

int cmd_logits(const Config& config, const Args& args) {
  std::string model, tokens_arg;
  int64_t top = 20;
  Flags f(args);
  while (!f.done()) {
    if (auto v = f.take("--model")) {
      model = *v;
    } else if (auto t = f.take("--tokens")) {
      tokens_arg = *t;
    } else if (auto n = f.take("--top")) {
      auto r = parse_int("--top", *n);
      if (!r.ok() || *r < 1) return usage_error("--top needs a positive count", kUsage);
      top = *r;
    } else {
      return usage_error(fmt::format("unexpected argument '{}'", f.peek()), kUsage);
    }
  }
  if (model.empty() || tokens_arg.empty()) return usage_error("needs --model and --tokens", kUsage);
  auto tokens = parse_token_list("--tokens", tokens_arg);
  if (!tokens.ok()) return fail(tokens.error());
  engine::ContextOptions opt = context_options(config);
  opt.n_ctx = std::max<int32_t>(256, static_cast<int32_t>(tokens->size()));
  opt.n_batch = opt.n_ctx;
  auto ctx = engine::Context::open(model, opt);
  if (!ctx.ok()) return fail(ctx.error());
  std::vector<uint8_t> want(tokens->size(), 1);
  auto logits = (*ctx)->decode({.tokens = *tokens, .want_logits = want});
  if (!logits.ok()) return fail(logits.error());
  std::vector<int32_t> order;
  for (int32_t i = 0; i < logits->n_rows; ++i) {
    std::printf("%s\n", row_json(i, logits->row(i), static_cast<int>(top), order).c_str());
  }
  return 0;
}

}  // namespace cria::cli
