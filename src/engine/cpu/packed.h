// Weight matrices in a layout of our own for the CPU, and the activation rows they multiply.
//
// ggml's q8_0 and q5_0 dot products take one weight row at a time and end every row with a
// horizontal sum; at decode that costs more than reading the weights. A packed matrix
// interleaves 16 rows (a "group") so that one 512-bit register holds 4 consecutive weights of
// each of the 16 rows; AVX-512 VNNI's vpdpbusd then multiplies them by 4 broadcast
// activations and adds into 16 per-row sums, with no horizontal work at all.
//
// Layout of a [n_in, n_out] matrix: group after group (n_out / 16), each holding its n_in / 32
// blocks in order. A block of 16 rows x 32 columns:
//   q8_0: 16 fp16 row scales (32 B), then 8 steps x 64 B: step s holds, for row r at bytes
//         4r..4r+3, the weights of columns 4s..4s+3 plus 128 (unsigned).      544 B
//   q5_0: 16 fp16 row scales (32 B), then 4 x 64 B of nibbles: vector j holds, for row r at
//         bytes 4r..4r+3, columns 4j.. in the low nibble and 16+4j.. in the high one (the
//         5-bit values plus 16, as ggml stores them), then 8 x 8 B of fifth bits: mask s
//         has bit 4r+i set when column 4s+i of row r is 16 or more.        352 B
// Both are exactly as large as the ggml rows they come from; the scales are unchanged, and
// the integer values are the same, so a product differs from ggml's only in the order in
// which the per-block float terms are added.
//
// Activations are quantized per row of 32-value blocks, as ggml's q8_0 (same scale, same
// rounding), each block with the sum of its values (`ActBlock`).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include <ggml.h>

namespace cria::engine::cpu {

inline constexpr int kGroupRows = 16;  // rows interleaved in one group
inline constexpr int kBlockCols = 32;  // columns per block, as q8_0 and q5_0

enum class PackedFormat : uint8_t { kQ8_0, kQ5_0 };

// One quantized block of an activation row: q = round(x / d), d = max|x| / 127.
struct ActBlock {
  int8_t q[kBlockCols];
  float d;      // the scale, rounded through fp16 as ggml's q8_0 stores it
  int32_t sum;  // sum of q
};
static_assert(sizeof(ActBlock) == 40);

// Bytes of one block of one group: 16 fp16 scales, then 16 x 32 values of 8 bits (q8_0) or
// 4 + 1 bits (q5_0).
constexpr size_t packed_block_bytes(PackedFormat f) {
  return kGroupRows * (2 + (f == PackedFormat::kQ8_0 ? kBlockCols : kBlockCols / 2 + 4));
}
// What a packed value is stored as, above its signed value: 128 for q8_0, 16 for q5_0
// (whose 5-bit values ggml already stores that way).
constexpr int packed_value_offset(PackedFormat f) {
  return f == PackedFormat::kQ8_0 ? 128 : 16;
}

// The ggml type a format packs.
ggml_type source_type(PackedFormat f);

// Whether this CPU runs the packed kernels: x86-64 with AVX-512 F/BW/VL and VNNI.
bool packed_kernels_available();

// The format for a [n_in, n_out] matrix of `type`, or none (not q8_0/q5_0, n_out not a
// multiple of 16).
std::optional<PackedFormat> packed_format(ggml_type type, int64_t n_in, int64_t n_out);

// Rewrites n_out ggml rows of n_in values (`src`) into the packed layout at `dst`, which has
// the same size.
void pack_matrix(PackedFormat f, const void* src, int64_t n_in, int64_t n_out, void* dst);

// Quantizes one row of n_in floats (n_in % 32 == 0) into n_in / 32 blocks, exactly as ggml's
// quantize_row_q8_0 on x86 does (round half to even). The reference is plain C++; the other
// uses AVX-512 when the CPU has it, with the same results.
void quantize_row_reference(const float* x, int64_t n_in, ActBlock* out);
void quantize_row(const float* x, int64_t n_in, ActBlock* out);

// Reference product, plain C++ over the packed layout: out[t * n_out + r] for n_tokens
// activation rows (row t at x + t * (n_in / 32)). For tests and as the definition.
void packed_matmul_reference(PackedFormat f, const void* w, int64_t n_in, int64_t n_out,
                             const ActBlock* x, int64_t n_tokens, float* out);

// The fast product (AVX-512 VNNI; only when packed_kernels_available()): rows of groups
// [g_begin, g_end) for every token. Row t of the activations at x + t * (n_in / 32), row t of
// the output at out + t * out_stride (floats).
void packed_matmul_groups(PackedFormat f, const void* w, int64_t n_in, int64_t g_begin,
                          int64_t g_end, const ActBlock* x, int64_t n_tokens, float* out,
                          int64_t out_stride);

}  // namespace cria::engine::cpu
