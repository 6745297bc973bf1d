// `cria bench --model F [-p 512] [-n 128] [-t THREADS] [-r 5] [--json]`: prompt
// processing (one batch of p tokens) and generation (n tokens, one per decode)
// speed in tokens per second, measured as llama-bench does: random tokens, a
// warm-up run, an empty cache for every repetition; median and mean of the runs.
// With --parallel B (as llama-batched-bench): B sequences prefill p tokens each in
// one call, then decode n steps of B tokens (one per sequence); the rates count
// every sequence's tokens.
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
    "cria bench --model PATH.gguf [-p 512] [-n 128] [-t THREADS] [-r 5] [--parallel B "
    "[--kv-unified]] [--json]";

struct BenchOptions {
  std::string model;
  int64_t n_prompt = 512;
  int64_t n_gen = 128;
  int64_t threads = 0;
  int64_t repeats = 5;
  int64_t parallel = 0;     // 0: one sequence, llama-bench's tests
  bool kv_unified = false;  // --parallel: one cache for all sequences instead of a stream each
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
    if (f.take_switch("--kv-unified")) {
      o.kv_unified = true;
      continue;
    }
    bool matched = false;
    for (auto [name, dst] :
         {std::pair{"-p", &o.n_prompt}, std::pair{"-n", &o.n_gen}, std::pair{"-t", &o.threads},
          std::pair{"-r", &o.repeats}, std::pair{"--parallel", &o.parallel}}) {
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
  if (o.n_prompt < 0 || o.n_gen < 0 || o.repeats < 1 || o.threads < 0 || o.parallel < 0) {
    return make_error(Errc::kInvalidArgument, "-p, -n, -t, --parallel must be >= 0 and -r >= 1");
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

// One batched run: B prompts of p tokens in one decode call, then n steps of B tokens.
// Returns {prefill t/s, decode t/s} over all sequences.
Result<std::pair<double, double>> run_batched(engine::Context& ctx, int32_t b, int64_t p, int64_t n,
                                              std::mt19937& rng) {
  std::uniform_int_distribution<int32_t> dist(0, ctx.info().n_vocab - 1);
  std::vector<int32_t> tokens, seqs;
  for (int32_t s = 0; s < b; ++s) {
    for (int64_t i = 0; i < p; ++i) {
      tokens.push_back(dist(rng));
      seqs.push_back(s);
    }
  }
  ctx.clear();
  auto t0 = std::chrono::steady_clock::now();
  if (!tokens.empty()) CRIA_RETURN_IF_ERROR(ctx.decode({.tokens = tokens, .seq_ids = seqs}));
  const double pp = static_cast<double>(tokens.size()) / seconds_since(t0);
  tokens.resize(static_cast<size_t>(b));
  seqs.resize(static_cast<size_t>(b));
  for (int32_t s = 0; s < b; ++s) seqs[static_cast<size_t>(s)] = s;
  const std::vector<uint8_t> want(static_cast<size_t>(b), 1);
  t0 = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < n; ++i) {
    for (auto& t : tokens) t = dist(rng);
    CRIA_RETURN_IF_ERROR(ctx.decode({.tokens = tokens, .seq_ids = seqs, .want_logits = want}));
  }
  const double tg = static_cast<double>(n * b) / seconds_since(t0);
  return std::pair{pp, tg};
}

Result<std::pair<Stats, Stats>> measure_batched(engine::Context& ctx, const BenchOptions& o) {
  std::mt19937 rng(1234);
  const auto b = static_cast<int32_t>(o.parallel);
  CRIA_RETURN_IF_ERROR(run_batched(ctx, b, std::min<int64_t>(o.n_prompt, 8), 1, rng));  // warm-up
  Stats pp, tg;
  for (int64_t r = 0; r < o.repeats; ++r) {
    CRIA_ASSIGN_OR_RETURN(auto rates, run_batched(ctx, b, o.n_prompt, o.n_gen, rng));
    if (o.n_prompt > 0) pp.tps.push_back(rates.first);
    if (o.n_gen > 0) tg.tps.push_back(rates.second);
  }
  return std::pair{pp, tg};
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
        "{\"model\":\"%s\",\"threads\":%d,\"parallel\":%lld,\"n_prompt\":%lld,"
        "\"n_gen\":%lld,\"pp_tps\":%s,\"pp_median\":%.3f,\"tg_tps\":%s,\"tg_median\":%.3f}\n",
        o.model.c_str(), threads, static_cast<long long>(std::max<int64_t>(o.parallel, 1)),
        static_cast<long long>(o.n_prompt), static_cast<long long>(o.n_gen), list(pp).c_str(),
        pp.median(), list(tg).c_str(), tg.median());
    return;
  }
  const std::string par = o.parallel > 0 ? fmt::format(" x{}", o.parallel) : "";
  std::printf(
      "| model | threads | test | t/s (median) | t/s (mean ± sd) |\n|---|---|---|---|---|\n");
  if (!pp.tps.empty()) {
    std::printf("| %s | %d | pp%lld%s | %.2f | %.2f ± %.2f |\n", o.model.c_str(), threads,
                static_cast<long long>(o.n_prompt), par.c_str(), pp.median(), pp.mean(),
                pp.stdev());
  }
  if (!tg.tps.empty()) {
    std::printf("| %s | %d | tg%lld%s | %.2f | %.2f ± %.2f |\n", o.model.c_str(), threads,
                static_cast<long long>(o.n_gen), par.c_str(), tg.median(), tg.mean(), tg.stdev());
  }
}

}  // namespace

int cmd_bench(const Config& config, const Args& args) {
  auto o = parse(args);
  if (!o.ok()) return usage_error(o.error().message, kUsage);
  engine::ContextOptions copt = context_options(config);
  if (o->threads > 0) copt.n_threads = static_cast<int>(o->threads);
  copt.n_ctx = static_cast<int32_t>(std::max<int64_t>(256, std::max(o->n_prompt, o->n_gen)));
  const int threads = copt.n_threads > 0 ? copt.n_threads : physical_cores();
  if (o->parallel > 0) {
    copt.n_seq = static_cast<int32_t>(o->parallel);
    copt.kv_streams = !o->kv_unified;
    copt.n_ctx = static_cast<int32_t>(o->parallel * (o->n_prompt + o->n_gen + 1));
    copt.n_batch = std::max<int32_t>(copt.n_batch, static_cast<int32_t>(o->parallel * o->n_prompt));
    auto ctx = engine::Context::open(o->model, copt);
    if (!ctx.ok()) return fail(ctx.error());
    auto stats = measure_batched(**ctx, *o);
    if (!stats.ok()) return fail(stats.error());
    report(*o, threads, stats->first, stats->second);
    return 0;
  }
  auto ctx = engine::Context::open(o->model, copt);
  if (!ctx.ok()) return fail(ctx.error());
  auto pp = measure(**ctx, o->n_prompt, o->repeats, /*prompt=*/true);
  if (!pp.ok()) return fail(pp.error());
  auto tg = measure(**ctx, o->n_gen, o->repeats, /*prompt=*/false);
  if (!tg.ok()) return fail(tg.error());
  report(*o, threads, *pp, *tg);
  return 0;
}

}  // namespace cria::cli
