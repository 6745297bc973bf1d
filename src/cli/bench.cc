// `cria bench --model F [-p 512] [-n 128] [-t THREADS] [-r 5] [--json]`: prompt
// processing (one batch of p tokens) and generation (n tokens, one per decode)
// speed in tokens per second, measured as llama-bench does: random tokens, a
// warm-up run, an empty cache for every repetition; median and mean of the runs.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "base/cpu.h"
#include "cli/commands.h"
#include "cli/engine_config.h"
#include "cli/flags.h"
#include "engine/runner/context.h"

namespace cria::cli {

namespace {

constexpr const char* kUsage =
    "cria bench --model PATH.gguf [-p 512] [-n 128] [-t THREADS] [-r 5] [--json]";

struct BenchOptions {
  std::string model;
  int64_t n_prompt = 512;
  int64_t n_gen = 128;
  int64_t threads = 0;
  int64_t repeats = 5;
  bool json = false;
};

struct Stats {
  std::vector<double> tps;
  double median() const {
    std::vector<double> s = tps;
    std::sort(s.begin(), s.end());
    const size_t n = s.size();
    return n == 0 ? 0 : (n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2);
  }
  double mean() const {
    double sum = 0;
    for (double v : tps) sum += v;
    return tps.empty() ? 0 : sum / static_cast<double>(tps.size());
  }
  double stdev() const {
    if (tps.size() < 2) return 0;
    const double m = mean();
    double sq = 0;
    for (double v : tps) sq += (v - m) * (v - m);
    return std::sqrt(sq / static_cast<double>(tps.size() - 1));
  }
};

Result<BenchOptions> parse(const Args& args) {
  BenchOptions o;
  Flags f(args);
  while (!f.done()) {
    if (auto v = f.take("--model"); v || (v = f.take("-m"))) {
      o.model = *v;
      continue;
    }
    if (f.take_switch("--json")) {
      o.json = true;
      continue;
    }
    bool matched = false;
    for (auto [name, dst] : {std::pair{"-p", &o.n_prompt}, std::pair{"-n", &o.n_gen},
                             std::pair{"-t", &o.threads}, std::pair{"-r", &o.repeats}}) {
      if (auto v = f.take(name)) {
        CRIA_ASSIGN_OR_RETURN(*dst, parse_int(name, *v));
        matched = true;
        break;
      }
    }
    if (!matched) {
      return make_error(Errc::kInvalidArgument, fmt::format("unexpected argument '{}'", f.peek()));
    }
  }
  if (o.model.empty()) return make_error(Errc::kInvalidArgument, "bench needs --model PATH");
  if (o.n_prompt < 0 || o.n_gen < 0 || o.repeats < 1 || o.threads < 0) {
    return make_error(Errc::kInvalidArgument, "-p, -n, -t must be >= 0 and -r >= 1");
  }
  return o;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// One prompt-processing run: a batch of random tokens into an empty cache.
Result<double> run_prompt(engine::Context& ctx, std::vector<int32_t>& tokens) {
  ctx.clear();
  const auto t0 = std::chrono::steady_clock::now();
  CRIA_RETURN_IF_ERROR(ctx.decode({.tokens = tokens}));
  return static_cast<double>(tokens.size()) / seconds_since(t0);
}

// One generation run: n tokens decoded one at a time into an empty cache.
Result<double> run_gen(engine::Context& ctx, std::vector<int32_t>& tokens) {
  ctx.clear();
  const auto t0 = std::chrono::steady_clock::now();
  for (int32_t& t : tokens) CRIA_RETURN_IF_ERROR(ctx.decode({.tokens = {&t, 1}}));
  return static_cast<double>(tokens.size()) / seconds_since(t0);
}

Result<Stats> measure(engine::Context& ctx, int64_t n, int64_t repeats, bool prompt) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int32_t> dist(0, ctx.info().n_vocab - 1);
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  for (auto& t : tokens) t = dist(rng);
  Stats s;
  if (n == 0) return s;
  std::vector<int32_t> warm(tokens.begin(), tokens.begin() + (prompt ? n : 1));
  CRIA_RETURN_IF_ERROR(prompt ? run_prompt(ctx, warm) : run_gen(ctx, warm));
  for (int64_t r = 0; r < repeats; ++r) {
    CRIA_ASSIGN_OR_RETURN(double tps, prompt ? run_prompt(ctx, tokens) : run_gen(ctx, tokens));
    s.tps.push_back(tps);
  }
  return s;
}

void report(const BenchOptions& o, int threads, const Stats& pp, const Stats& tg) {
  if (o.json) {
    auto list = [](const Stats& s) {
      std::string out = "[";
      for (size_t i = 0; i < s.tps.size(); ++i)
        out += fmt::format("{}{:.3f}", i ? "," : "", s.tps[i]);
      return out + "]";
    };
    std::printf(
        "{\"model\":\"%s\",\"threads\":%d,\"n_prompt\":%lld,\"n_gen\":%lld,"
        "\"pp_tps\":%s,\"pp_median\":%.3f,\"tg_tps\":%s,\"tg_median\":%.3f}\n",
        o.model.c_str(), threads, static_cast<long long>(o.n_prompt),
        static_cast<long long>(o.n_gen), list(pp).c_str(), pp.median(), list(tg).c_str(),
        tg.median());
    return;
  }
  std::printf(
      "| model | threads | test | t/s (median) | t/s (mean ± sd) |\n|---|---|---|---|---|\n");
  if (!pp.tps.empty()) {
    std::printf("| %s | %d | pp%lld | %.2f | %.2f ± %.2f |\n", o.model.c_str(), threads,
                static_cast<long long>(o.n_prompt), pp.median(), pp.mean(), pp.stdev());
  }
  if (!tg.tps.empty()) {
    std::printf("| %s | %d | tg%lld | %.2f | %.2f ± %.2f |\n", o.model.c_str(), threads,
                static_cast<long long>(o.n_gen), tg.median(), tg.mean(), tg.stdev());
  }
}

}  // namespace

int cmd_bench(const Config& config, const Args& args) {
  auto o = parse(args);
  if (!o.ok()) return usage_error(o.error().message, kUsage);
  engine::ContextOptions copt = context_options(config);
  if (o->threads > 0) copt.n_threads = static_cast<int>(o->threads);
  copt.n_ctx = static_cast<int32_t>(std::max<int64_t>(256, std::max(o->n_prompt, o->n_gen)));
  auto ctx = engine::Context::open(o->model, copt);
  if (!ctx.ok()) return fail(ctx.error());
  auto pp = measure(**ctx, o->n_prompt, o->repeats, /*prompt=*/true);
  if (!pp.ok()) return fail(pp.error());
  auto tg = measure(**ctx, o->n_gen, o->repeats, /*prompt=*/false);
  if (!tg.ok()) return fail(tg.error());
  const int threads = copt.n_threads > 0 ? copt.n_threads : physical_cores();
  report(*o, threads, *pp, *tg);
  return 0;
}

}  // namespace cria::cli
