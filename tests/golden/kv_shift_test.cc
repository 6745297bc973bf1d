// The KV cache's sequence edits through the runner on real models: the RoPE shift of cached
// keys (context shift), copy_prefix sharing cells, and several sequences in one batch, each
// against decoding the same tokens from scratch.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/runner/context.h"
#include "golden/engine_fixture.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

using Tokens = std::vector<int32_t>;

// Every row the batch asked for, copied out of the context.
std::vector<std::vector<float>> run(engine::Context& ctx, const engine::Batch& batch) {
  std::vector<std::vector<float>> rows;
  auto logits = ctx.decode(batch);
  EXPECT_TRUE(logits.ok()) << logits.error().message;
  if (!logits.ok()) return rows;
  for (int32_t i = 0; i < logits->n_rows; ++i) {
    rows.emplace_back(logits->row(i).begin(), logits->row(i).end());
  }
  return rows;
}

// The logits of `next` after `prompt` (one batch, then `next` alone, as a generation goes),
// decoded from position `first` on as sequence 0 of a fresh context.
std::vector<float> fresh_next(const std::string& path, const engine::ContextOptions& opt,
                              const Tokens& prompt, int32_t next, int32_t first = 0) {
  auto ctx = open_model(path, opt);
  if (ctx == nullptr) return {};
  Tokens pos(prompt.size());
  for (size_t i = 0; i < pos.size(); ++i) pos[i] = first + static_cast<int32_t>(i);
  run(*ctx, {.tokens = prompt, .positions = pos});
  auto rows = run(*ctx, {.tokens = Tokens{next}});
  return rows.empty() ? std::vector<float>{} : rows[0];
}

double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  if (a.size() != b.size() || a.empty()) return INFINITY;
  double d = 0;
  for (size_t i = 0; i < a.size(); ++i) d = std::max(d, std::fabs(double(a[i]) - double(b[i])));
  return d;
}

std::string fmt_type(const char* model, ggml_type t) {
  return std::string(model) + " " + ggml_type_name(t) + " cache, flash";
}

Tokens concat(const Tokens& a, const Tokens& b) {
  Tokens out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

// BOS + 10 tokens, 8 junk tokens, a 10-token continuation, and the next token.
const Tokens kPrefix = {1, 403, 407, 260, 345, 304, 263, 336, 268, 291, 301};
const Tokens kJunk = {77, 88, 99, 111, 122, 133, 144, 155};
const Tokens kCont = {282, 290, 310, 271, 299, 330, 262, 318, 274, 295};
const int32_t kNext = 286;

struct ShiftCheck {
  double shifted = INFINITY;  // max |Δ logit| of the shifted cache against a fresh decode
  // The same without any shift: S decoded at [|J|, |J| + |S|) against S at [0, |S|). Zero in
  // exact arithmetic; what remains is the rounding of keys rotated by other angles in an
  // F16 or quantized cache, the floor any shift of such a cache stands on.
  double offset_noise = INFINITY;
};

// Sequence S = P + C is decoded at positions [|J|, |J| + |S|), interleaved in one batch with
// junk J of sequence 1 at [0, |J|), so S's cells are scattered. Removing J and shifting S back
// by |J| must give the cache a fresh decode of S has: attention depends only on relative
// positions, so only the keys' rotation changes, and the shift redoes exactly that.
ShiftCheck check_shift(const std::string& path, engine::ContextOptions opt) {
  const Tokens s = concat(kPrefix, kCont);
  const auto d = static_cast<int32_t>(kJunk.size());
  Tokens tokens, pos, seqs;
  for (size_t i = 0; i < s.size(); ++i) {
    if (i < kJunk.size()) {
      tokens.push_back(kJunk[i]);
      pos.push_back(static_cast<int32_t>(i));
      seqs.push_back(1);
    }
    tokens.push_back(s[i]);
    pos.push_back(d + static_cast<int32_t>(i));
    seqs.push_back(0);
  }
  opt.n_seq = 2;
  auto ctx = open_model(path, opt);
  if (ctx == nullptr) return {};
  if (opt.kv_streams) {  // one stream per sequence: the batch goes in parts, J's then S's
    EXPECT_EQ(ctx->kv().n_stream(), 2);
  }
  run(*ctx, {.tokens = tokens, .positions = pos, .seq_ids = seqs});
  EXPECT_TRUE(ctx->remove(1, 0, -1).ok());
  EXPECT_TRUE(ctx->shift_context(0, 0, d).ok());
  EXPECT_TRUE(ctx->kv().cells(0).has_shift());
  EXPECT_EQ(ctx->kv().cells(0).seq_pos_min(0), 0);
  EXPECT_EQ(ctx->kv().cells(0).seq_pos_max(0), static_cast<int32_t>(s.size()) - 1);
  const auto shifted = run(*ctx, {.tokens = Tokens{kNext}});  // at position |S|
  EXPECT_FALSE(ctx->kv().cells(0).has_shift());
  if (shifted.empty()) return {};
  opt.n_seq = 1;
  opt.kv_streams = false;
  const auto fresh = fresh_next(path, opt, s, kNext);
  return {.shifted = max_abs_diff(shifted[0], fresh),
          .offset_noise = max_abs_diff(fresh_next(path, opt, s, kNext, d), fresh)};
}

void report(const char* what, const ShiftCheck& c) {
  std::printf("[kv] %-34s shifted vs fresh: max |dlogit| %.3g (unshifted offset: %.3g)\n", what,
              c.shifted, c.offset_noise);
}

TEST(KvShift, ShiftedKeysMatchAFreshDecodeF32Cache) {
  const ShiftCheck c = check_shift(stories_path(), {.n_ctx = 2048, .kv_type = GGML_TYPE_F32});
  report("stories260K F32 cache", c);
  EXPECT_LT(c.shifted, 1e-4);
}

// An F16 cache rounds each key after its rotation, so the shift can only be as exact as the
// same tokens decoded at other positions are: both stay within the same noise.
TEST(KvShift, ShiftedKeysMatchAFreshDecodeF16Cache) {
  for (bool flash : {false, true}) {
    const ShiftCheck c = check_shift(stories_path(), {.n_ctx = 2048, .flash_attention = flash});
    report(flash ? "stories260K F16 cache, flash" : "stories260K F16 cache", c);
    EXPECT_LT(c.shifted, 2e-2);
    EXPECT_LT(c.shifted, 1.5 * c.offset_noise + 1e-3);
  }
}

TEST(KvShift, ShiftedKeysMatchAFreshDecodeWithStreams) {
  for (bool flash : {false, true}) {
    const ShiftCheck c = check_shift(
        stories_path(),
        {.n_ctx = 2048, .kv_type = GGML_TYPE_F32, .flash_attention = flash, .kv_streams = true});
    report(flash ? "stories260K F32, streams, flash" : "stories260K F32, streams", c);
    EXPECT_LT(c.shifted, 1e-4);
  }
}

TEST(KvShift, ShiftedKeysMatchAFreshDecodeQuantizedCache) {
  CRIA_REQUIRE_SHARED(path, "fixtures/llama-e256.gguf");
  for (ggml_type t : {GGML_TYPE_F32, GGML_TYPE_F16, GGML_TYPE_Q8_0, GGML_TYPE_Q4_0}) {
    const ShiftCheck c = check_shift(path, {.n_ctx = 512, .kv_type = t, .flash_attention = true});
    report(fmt_type("llama-e256", t).c_str(), c);
    // Dequantized, rotated and quantized again: two roundings where a fresh key has one.
    EXPECT_LT(c.shifted, 2.0 * c.offset_noise + 1e-2);
  }
}

// Gemma 3 rotates its local and global layers by different RoPE bases (and its local layers
// attend a window of 8): each layer's keys must be shifted by that layer's own rotation.
TEST(KvShift, ShiftedKeysMatchAFreshDecodePerLayerRope) {
  for (const char* model : {"fixtures/gemma3.gguf", "fixtures/gemma2.gguf", "fixtures/phi3.gguf"}) {
    CRIA_REQUIRE_SHARED(path, model);
    const ShiftCheck c = check_shift(path, {.n_ctx = 512, .kv_type = GGML_TYPE_F32});
    report(model, c);
    // Gemma 3's base of 1e6 leaves F32 rounding of its own (the unshifted offset); a key
    // rotated by another layer's RoPE would be off by whole logits.
    EXPECT_LT(c.shifted, 1.5 * c.offset_noise + 1e-4) << model;
  }
}

// The context shift proper: P + J + C in one sequence, J discarded, C moved back. C's cached
// states attended J, so no fresh decode reproduces them; instead the same cache with P moved
// forward by |J| (and C left in place) gives every cell the same offset from the next token.
struct ContextShift {
  double vs_moved_prefix = INFINITY;
  double vs_fresh = INFINITY;
};

ContextShift context_shift(const engine::ContextOptions& opt) {
  const Tokens all = concat(concat(kPrefix, kJunk), kCont);
  const auto p = static_cast<int32_t>(kPrefix.size());
  const auto j = static_cast<int32_t>(kJunk.size());
  auto a = open_model(stories_path(), opt);
  auto b = open_model(stories_path(), opt);
  if (a == nullptr || b == nullptr) return {};
  run(*a, {.tokens = all});
  run(*b, {.tokens = all});
  EXPECT_TRUE(a->shift_context(0, p, j).ok());
  EXPECT_TRUE(b->remove(0, p, p + j).ok());
  b->kv().cells(0).shift(0, 0, p, j);
  EXPECT_EQ(a->kv().cells(0).seq_pos_max(0), p + static_cast<int32_t>(kCont.size()) - 1);
  const auto ra = run(*a, {.tokens = Tokens{kNext}});
  const auto rb = run(*b, {.tokens = Tokens{kNext}});
  if (ra.empty() || rb.empty()) return {};
  return {.vs_moved_prefix = max_abs_diff(ra[0], rb[0]),
          .vs_fresh =
              max_abs_diff(ra[0], fresh_next(stories_path(), opt, concat(kPrefix, kCont), kNext))};
}

TEST(KvShift, ContextShiftEqualsMovingThePrefixForward) {
  for (ggml_type t : {GGML_TYPE_F32, GGML_TYPE_F16}) {
    const ContextShift c = context_shift({.n_ctx = 2048, .kv_type = t});
    std::printf(
        "[kv] context shift, %s cache: vs the prefix moved forward %.3g; vs a fresh P+C "
        "(whose C never saw J) %.3g\n",
        ggml_type_name(t), c.vs_moved_prefix, c.vs_fresh);
    EXPECT_LT(c.vs_moved_prefix, t == GGML_TYPE_F32 ? 1e-4 : 2e-2);
  }
}

TEST(KvShift, EditsCheckTheirArguments) {
  auto ctx = open_model(stories_path(), {.n_ctx = 64});
  ASSERT_NE(ctx, nullptr);
  EXPECT_EQ(ctx->remove(1, 0, -1).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(ctx->remove(0, 5, 2).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(ctx->copy_prefix(0, 3, 4).error().code, Errc::kInvalidArgument);
  EXPECT_EQ(ctx->shift_context(0, 0, -1).error().code, Errc::kInvalidArgument);
  EXPECT_TRUE(ctx->apply_shifts().ok());  // nothing pending
}

// Logits of every token of `rest`, decoded after `prefix` (its own batch, unless empty) in a
// fresh context of one sequence.
std::vector<std::vector<float>> alone(const Tokens& prefix, const Tokens& rest,
                                      const engine::ContextOptions& opt,
                                      const std::string& path = stories_path()) {
  auto ctx = open_model(path, opt);
  if (ctx == nullptr) return {};
  if (!prefix.empty()) run(*ctx, {.tokens = prefix});
  const std::vector<uint8_t> all(rest.size(), 1);
  return run(*ctx, {.tokens = rest, .want_logits = all});
}

// Round-robin: token i of every sequence that has one, then token i + 1, ...
void interleave(const std::vector<Tokens>& seqs_tokens, Tokens& tokens, Tokens& seqs,
                Tokens& index) {
  size_t longest = 0;
  for (const Tokens& t : seqs_tokens) longest = std::max(longest, t.size());
  for (size_t i = 0; i < longest; ++i) {
    for (size_t s = 0; s < seqs_tokens.size(); ++s) {
      if (i >= seqs_tokens[s].size()) continue;
      tokens.push_back(seqs_tokens[s][i]);
      seqs.push_back(static_cast<int32_t>(s));
      index.push_back(static_cast<int32_t>(i));
    }
  }
}

// Max |Δ logit| of each batch row against row index[i] of its sequence's reference rows.
double batch_deviation(const std::vector<std::vector<float>>& rows, const Tokens& seqs,
                       const Tokens& index,
                       const std::vector<std::vector<std::vector<float>>>& refs) {
  double d = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& ref = refs[static_cast<size_t>(seqs[i])];
    if (static_cast<size_t>(index[i]) >= ref.size()) return INFINITY;
    d = std::max(d, max_abs_diff(rows[i], ref[static_cast<size_t>(index[i])]));
  }
  return d;
}

// Max |Δ logit| of two continuations of one prefix, shared through copy_prefix and decoded
// interleaved in one batch, against each decoded after the prefix in a context of its own.
// With kv_streams the prefix is copied into the second sequence's stream instead.
double copy_prefix_deviation(ggml_type kv_type, bool streams = false, bool flash = false) {
  const std::vector<Tokens> conts = {{282, 290, 310, 271, 299}, {330, 262, 318, 274, 295, 300}};
  auto ctx = open_model(stories_path(), {.n_ctx = 2048,
                                         .n_seq = 2,
                                         .kv_type = kv_type,
                                         .flash_attention = flash,
                                         .kv_streams = streams});
  if (ctx == nullptr) return INFINITY;
  run(*ctx, {.tokens = kPrefix});
  EXPECT_TRUE(ctx->copy_prefix(0, 1, static_cast<int32_t>(kPrefix.size())).ok());
  const auto n = static_cast<int32_t>(kPrefix.size());
  EXPECT_EQ(ctx->kv().cells(0).n_used(), n);  // shared, or seq 0's own stream
  EXPECT_EQ(ctx->kv().cells(1).n_used(), n);  // the same cells, or the copy
  EXPECT_EQ(ctx->kv().cells(1).seq_pos_max(1), n - 1);
  Tokens tokens, seqs, index;
  interleave(conts, tokens, seqs, index);
  const std::vector<uint8_t> all(tokens.size(), 1);
  const auto rows = run(*ctx, {.tokens = tokens, .seq_ids = seqs, .want_logits = all});
  EXPECT_EQ(rows.size(), tokens.size());
  std::vector<std::vector<std::vector<float>>> refs;
  for (const Tokens& c : conts) {
    refs.push_back(
        alone(kPrefix, c, {.n_ctx = 2048, .kv_type = kv_type, .flash_attention = flash}));
  }
  return batch_deviation(rows, seqs, index, refs);
}

// Exact up to the order of sums in the matmuls of differently sized batches; an F16 cache
// turns those last-bit differences into a rounding step of an F16 key now and then.
TEST(KvSequences, CopyPrefixSharesCellsAndMatchesSeparateDecodes) {
  const double f32 = copy_prefix_deviation(GGML_TYPE_F32);
  const double f16 = copy_prefix_deviation(GGML_TYPE_F16);
  std::printf(
      "[kv] copy_prefix, 2 continuations in one batch: max |dlogit| %.3g (F32 cache), "
      "%.3g (F16 cache)\n",
      f32, f16);
  EXPECT_LT(f32, 1e-4);
  EXPECT_LT(f16, 3e-3);
}

// Across streams the copy is of the bytes, so an F16 cache copies exactly too; the plain
// path's transposed values are copied value by value.
TEST(KvSequences, CopyPrefixAcrossStreamsMatchesSeparateDecodes) {
  for (bool flash : {false, true}) {
    const double f32 = copy_prefix_deviation(GGML_TYPE_F32, true, flash);
    const double f16 = copy_prefix_deviation(GGML_TYPE_F16, true, flash);
    std::printf(
        "[kv] copy_prefix across streams%s: max |dlogit| %.3g (F32 cache), %.3g (F16 cache)\n",
        flash ? " (flash)" : "", f32, f16);
    EXPECT_LT(f32, 1e-4);
    EXPECT_LT(f16, 3e-3);
  }
}

// Max |Δ logit| of 4 prompts interleaved in one batch against each decoded alone. With
// streams the batch runs in parts of consecutive sequences with as many tokens each (the
// prompts' lengths differ), and the rows come back in the batch's order.
double interleaved_deviation(bool flash, bool streams = false,
                             const std::string& path = stories_path()) {
  const std::vector<Tokens> prompts = {{1, 403, 407, 260, 345, 304, 263},
                                       {1, 282, 290, 310, 271, 299, 330, 262, 318, 274, 295, 300},
                                       {1, 77, 88, 99, 111},
                                       {1, 336, 268, 291, 301, 286, 282, 290, 310}};
  auto ctx =
      open_model(path, {.n_ctx = 512, .n_seq = 4, .flash_attention = flash, .kv_streams = streams});
  if (ctx == nullptr) return INFINITY;
  Tokens tokens, seqs, index;
  interleave(prompts, tokens, seqs, index);
  const std::vector<uint8_t> all(tokens.size(), 1);
  const auto rows = run(*ctx, {.tokens = tokens, .seq_ids = seqs, .want_logits = all});
  EXPECT_EQ(rows.size(), tokens.size());
  std::vector<std::vector<std::vector<float>>> refs;
  for (const Tokens& p : prompts) {
    refs.push_back(alone({}, p, {.n_ctx = 512, .flash_attention = flash}, path));
  }
  return batch_deviation(rows, seqs, index, refs);
}

TEST(KvSequences, FourInterleavedSequencesMatchEachAlone) {
  for (bool flash : {false, true}) {
    const double d = interleaved_deviation(flash);
    std::printf("[kv] 4 sequences interleaved in one batch vs each alone%s: max |dlogit| %.3g\n",
                flash ? " (flash)" : "", d);
    EXPECT_LT(d, 1e-4);
  }
}

TEST(KvSequences, FourInterleavedSequencesInStreamsMatchEachAlone) {
  for (bool flash : {false, true}) {
    const double d = interleaved_deviation(flash, true);
    std::printf("[kv] 4 sequences in 4 streams vs each alone%s: max |dlogit| %.3g\n",
                flash ? " (flash)" : "", d);
    EXPECT_LT(d, 1e-4);
  }
}

// Streams with gaps between the busy ones, and decode tokens beside a prompt, in one batch
// (given out of order): each group of consecutive streams with as many tokens is one run
// of the same graph, and every row matches its sequence decoded alone.
TEST(KvSequences, RunsOfStreamsWithGapsMatchEachAlone) {
  for (bool flash : {false, true}) {
    const engine::ContextOptions one{.n_ctx = 512, .flash_attention = flash};
    auto ctx = open_model(
        stories_path(), {.n_ctx = 2048, .n_seq = 4, .flash_attention = flash, .kv_streams = true});
    ASSERT_NE(ctx, nullptr);
    const Tokens p0 = {1, 403, 407, 260, 345}, p2 = {1, 282, 290, 310, 271, 299, 330};
    const Tokens p3 = {1, 77, 88, 99, 111, 122};
    // Two prompts, sequences 0 and 2: two runs.
    Tokens tokens = concat(p2, p0), seqs(p2.size(), 2);
    seqs.insert(seqs.end(), p0.size(), 0);
    std::vector<uint8_t> want(tokens.size(), 1);
    auto rows = run(*ctx, {.tokens = tokens, .seq_ids = seqs, .want_logits = want});
    EXPECT_EQ(ctx->kv().taken_runs().size(), 2u);
    const auto ref0 = alone({}, concat(p0, {286}), one), ref2 = alone({}, concat(p2, {301}), one);
    const auto ref3 = alone({}, p3, one);
    double d = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      d = std::max(d, max_abs_diff(rows[i], i < p2.size() ? ref2[i] : ref0[i - p2.size()]));
    }
    // A decode token each for 0 and 2 and sequence 3's prompt: runs {0}, {2}, {3}.
    tokens = concat(p3, {301, 286});
    seqs = Tokens(p3.size(), 3);
    seqs.insert(seqs.end(), {2, 0});
    want.assign(tokens.size(), 1);
    rows = run(*ctx, {.tokens = tokens, .seq_ids = seqs, .want_logits = want});
    EXPECT_EQ(ctx->kv().taken_runs().size(), 3u);
    ASSERT_EQ(rows.size(), tokens.size());
    for (size_t i = 0; i < p3.size(); ++i) d = std::max(d, max_abs_diff(rows[i], ref3[i]));
    d = std::max(d, max_abs_diff(rows[p3.size()], ref2.back()));
    d = std::max(d, max_abs_diff(rows[p3.size() + 1], ref0.back()));
    std::printf("[kv] streams with gaps and a prompt beside decodes%s: max |dlogit| %.3g\n",
                flash ? " (flash)" : "", d);
    EXPECT_LT(d, 1e-4);
  }
}

// Gemma 3's local layers attend a window of 8 positions (the prompts are longer): the
// sliding-window mask is built per stream too.
TEST(KvSequences, SlidingWindowInStreamsMatchesEachAlone) {
  CRIA_REQUIRE_SHARED(path, "fixtures/gemma3.gguf");
  for (bool flash : {false, true}) {
    const double d = interleaved_deviation(flash, true, path);
    std::printf("[kv] gemma3, 4 sequences in 4 streams vs each alone%s: max |dlogit| %.3g\n",
                flash ? " (flash)" : "", d);
    EXPECT_LT(d, 1e-3);
  }
}

}  // namespace
}  // namespace cria::test
