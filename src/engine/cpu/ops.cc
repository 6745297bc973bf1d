#include "engine/cpu/ops.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <utility>
#include <vector>

namespace cria::engine::cpu {
namespace {

// One tag object per format: a packed tensor's `extra` points at one of them.
struct PackedTag {
  PackedFormat format;
};
constexpr PackedTag kTags[] = {{PackedFormat::kQ8_0}, {PackedFormat::kQ5_0}};

// Up to this many activation rows (decode), each thread quantizes them all itself.
constexpr int64_t kInlineRows = 4;

int64_t rows_of(const ggml_tensor* t) {
  return t->ne[1] * t->ne[2] * t->ne[3];
}

// Quantizes rows [begin, end) of x (F32 [n_in, ne1, ne2, ne3], any row strides) into
// `out`, row r at out + r * out_stride bytes.
void quantize_rows(const ggml_tensor* x, int64_t begin, int64_t end, void* out, size_t out_stride) {
  for (int64_t r = begin; r < end; ++r) {
    const int64_t i1 = r % x->ne[1];
    const int64_t i2 = (r / x->ne[1]) % x->ne[2];
    const int64_t i3 = r / (x->ne[1] * x->ne[2]);
    const auto* row = reinterpret_cast<const float*>(static_cast<const char*>(x->data) +
                                                     i1 * x->nb[1] + i2 * x->nb[2] + i3 * x->nb[3]);
    quantize_row(row, x->ne[0],
                 reinterpret_cast<ActBlock*>(static_cast<char*>(out) + r * out_stride));
  }
}

// dst: I8 [40 * n_in / 32, rows]; src[0]: F32 x. The threads share the rows.
void quantize_op(ggml_tensor* dst, int ith, int nth, void* /*userdata*/) {
  const ggml_tensor* x = dst->src[0];
  const int64_t n_rows = rows_of(x);
  quantize_rows(x, n_rows * ith / nth, n_rows * (ith + 1) / nth, dst->data, dst->nb[1]);
}

// This thread's share of the weight's groups: whole runs of 4, so that decode keeps its
// 4-group tiles.
std::pair<int64_t, int64_t> groups_of(const ggml_tensor* w, int ith, int nth) {
  const int64_t groups = w->ne[1] / kGroupRows;
  const int64_t per = (groups + nth - 1) / nth;
  const int64_t chunk = (per + 3) / 4 * 4;
  const int64_t begin = std::min(groups, chunk * ith);
  return {begin, std::min(groups, begin + chunk)};
}

// dst: F32 [n_out, ...]; src[0]: the packed weight; src[1]: quantized activations.
void matmul_op(ggml_tensor* dst, int ith, int nth, void* /*userdata*/) {
  const ggml_tensor* w = dst->src[0];
  const ggml_tensor* xq = dst->src[1];
  const auto [g_begin, g_end] = groups_of(w, ith, nth);
  if (g_begin == g_end) return;
  packed_matmul_groups(*packed_format_of(w), w->data, w->ne[0], g_begin, g_end,
                       static_cast<const ActBlock*>(xq->data), xq->ne[1],
                       static_cast<float*>(dst->data), w->ne[1]);
}

// As matmul_op, but src[1] is x itself (a few rows): every thread quantizes all of it into
// its own scratch, which costs less than a graph node of its own (a barrier of all threads).
void matmul_inline_op(ggml_tensor* dst, int ith, int nth, void* /*userdata*/) {
  const ggml_tensor* w = dst->src[0];
  const ggml_tensor* x = dst->src[1];
  const auto [g_begin, g_end] = groups_of(w, ith, nth);
  if (g_begin == g_end) return;
  const int64_t nb = x->ne[0] / kBlockCols;
  const int64_t n_rows = rows_of(x);
  thread_local std::vector<ActBlock> scratch;  // grows to the largest input, then stays
  if (scratch.size() < static_cast<size_t>(n_rows * nb)) scratch.resize(n_rows * nb);
  quantize_rows(x, 0, n_rows, scratch.data(), nb * sizeof(ActBlock));
  packed_matmul_groups(*packed_format_of(w), w->data, w->ne[0], g_begin, g_end, scratch.data(),
                       n_rows, static_cast<float*>(dst->data), w->ne[1]);
}

}  // namespace

void mark_packed(ggml_tensor* w, PackedFormat f) {
  w->extra = const_cast<PackedTag*>(&kTags[static_cast<int>(f)]);
}

std::optional<PackedFormat> packed_format_of(const ggml_tensor* w) {
  for (const PackedTag& tag : kTags) {
    if (w->extra == &tag) return tag.format;
  }
  return std::nullopt;
}

ggml_tensor* packed_mul_mat(ggml_context* ctx, ggml_tensor* w, ggml_tensor* x) {
  assert(packed_format_of(w).has_value());
  assert(x->type == GGML_TYPE_F32 && x->ne[0] == w->ne[0] && x->nb[0] == sizeof(float));
  ggml_tensor* in = x;
  ggml_custom_op_t op = matmul_inline_op;
  if (rows_of(x) > kInlineRows) {  // quantized once, the threads sharing the rows
    const int64_t row_bytes = x->ne[0] / kBlockCols * static_cast<int64_t>(sizeof(ActBlock));
    ggml_tensor* q_args[] = {x};
    in = ggml_custom_4d(ctx, GGML_TYPE_I8, row_bytes, rows_of(x), 1, 1, q_args, 1, quantize_op,
                        GGML_N_TASKS_MAX, nullptr);
    op = matmul_op;
  }
  ggml_tensor* m_args[] = {w, in};
  return ggml_custom_4d(ctx, GGML_TYPE_F32, w->ne[1], x->ne[1], x->ne[2], x->ne[3], m_args, 2, op,
                        GGML_N_TASKS_MAX, nullptr);
}

}  // namespace cria::engine::cpu
