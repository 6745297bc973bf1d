#include "engine/cpu/packed.h"

#include "engine/cpu/packed_kernels.h"

#include <cassert>
#include <cmath>
#include <cstring>

namespace cria::engine::cpu {
namespace {

constexpr int kSteps = kBlockCols / 4;  // 4-column steps per block

// ggml's blocks, as laid out in GGUF files.
struct BlockQ8_0 {
  ggml_fp16_t d;
  int8_t qs[kBlockCols];
};
struct BlockQ5_0 {
  ggml_fp16_t d;
  uint8_t qh[4];
  uint8_t qs[kBlockCols / 2];
};
static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ5_0) == 22);

// The unsigned 5-bit value (0..31) of column c of a q5_0 block.
uint8_t q5_value(const BlockQ5_0& b, int c) {
  uint32_t qh = 0;
  std::memcpy(&qh, b.qh, sizeof(qh));
  const uint8_t nibble = c < 16 ? (b.qs[c] & 0x0F) : (b.qs[c - 16] >> 4);
  return static_cast<uint8_t>(nibble | (((qh >> c) & 1u) << 4));
}

void pack_block_q8(const uint8_t* const* rows, int64_t b, uint8_t* dst) {
  auto* scales = reinterpret_cast<ggml_fp16_t*>(dst);
  uint8_t* q = dst + kGroupRows * sizeof(ggml_fp16_t);
  for (int r = 0; r < kGroupRows; ++r) {
    const BlockQ8_0& blk = reinterpret_cast<const BlockQ8_0*>(rows[r])[b];
    scales[r] = blk.d;
    for (int c = 0; c < kBlockCols; ++c) {
      q[(c / 4) * 64 + r * 4 + c % 4] = static_cast<uint8_t>(blk.qs[c] + 128);
    }
  }
}

void pack_block_q5(const uint8_t* const* rows, int64_t b, uint8_t* dst) {
  auto* scales = reinterpret_cast<ggml_fp16_t*>(dst);
  uint8_t* nibbles = dst + kGroupRows * sizeof(ggml_fp16_t);
  uint8_t* masks = nibbles + 4 * 64;
  std::memset(masks, 0, kSteps * 8);
  for (int r = 0; r < kGroupRows; ++r) {
    const BlockQ5_0& blk = reinterpret_cast<const BlockQ5_0*>(rows[r])[b];
    scales[r] = blk.d;
    for (int c = 0; c < 16; ++c) {
      const uint8_t lo = q5_value(blk, c);
      const uint8_t hi = q5_value(blk, c + 16);
      nibbles[(c / 4) * 64 + r * 4 + c % 4] =
          static_cast<uint8_t>((lo & 0x0F) | ((hi & 0x0F) << 4));
    }
    for (int c = 0; c < kBlockCols; ++c) {
      if (q5_value(blk, c) & 0x10) {
        const int bit = r * 4 + c % 4;
        masks[(c / 4) * 8 + bit / 8] |= static_cast<uint8_t>(1u << (bit % 8));
      }
    }
  }
}

// The unsigned value of row r, column c of a packed block.
int packed_value(PackedFormat f, const uint8_t* blk, int r, int c) {
  const uint8_t* q = blk + kGroupRows * sizeof(ggml_fp16_t);
  if (f == PackedFormat::kQ8_0) return q[(c / 4) * 64 + r * 4 + c % 4];
  const int col = c % 16;
  const uint8_t nib = q[(col / 4) * 64 + r * 4 + col % 4];
  const int low = c < 16 ? (nib & 0x0F) : (nib >> 4);
  const uint8_t* masks = q + 4 * 64;
  const int bit = r * 4 + c % 4;
  const int high = (masks[(c / 4) * 8 + bit / 8] >> (bit % 8)) & 1;
  return low | (high << 4);
}

}  // namespace

ggml_type source_type(PackedFormat f) {
  return f == PackedFormat::kQ8_0 ? GGML_TYPE_Q8_0 : GGML_TYPE_Q5_0;
}

bool packed_kernels_available() {
#if defined(__x86_64__) && defined(__GNUC__)
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                         __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("f16c") &&
                         __builtin_cpu_supports("fma");
  return ok;
#else
  return false;
#endif
}

std::optional<PackedFormat> packed_format(ggml_type type, int64_t n_in, int64_t n_out) {
  if (n_in <= 0 || n_out <= 0 || n_in % kBlockCols != 0 || n_out % kGroupRows != 0) {
    return std::nullopt;
  }
  if (type == GGML_TYPE_Q8_0) return PackedFormat::kQ8_0;
  if (type == GGML_TYPE_Q5_0) return PackedFormat::kQ5_0;
  return std::nullopt;
}

void pack_matrix(PackedFormat f, const void* src, int64_t n_in, int64_t n_out, void* dst) {
  assert(n_in % kBlockCols == 0 && n_out % kGroupRows == 0);
  const int64_t nb = n_in / kBlockCols;
  const size_t block_bytes = packed_block_bytes(f);
  const size_t row_bytes = ggml_row_size(source_type(f), n_in);
  auto* out = static_cast<uint8_t*>(dst);
  const auto* in = static_cast<const uint8_t*>(src);
  for (int64_t g = 0; g < n_out / kGroupRows; ++g) {
    const uint8_t* rows[kGroupRows];
    for (int r = 0; r < kGroupRows; ++r) rows[r] = in + (g * kGroupRows + r) * row_bytes;
    for (int64_t b = 0; b < nb; ++b, out += block_bytes) {
      if (f == PackedFormat::kQ8_0) {
        pack_block_q8(rows, b, out);
      } else {
        pack_block_q5(rows, b, out);
      }
    }
  }
}

void quantize_row_reference(const float* x, int64_t n_in, ActBlock* out) {
  for (int64_t b = 0; b < n_in / kBlockCols; ++b, x += kBlockCols) {
    float amax = 0.0f;
    for (int i = 0; i < kBlockCols; ++i) amax = std::fmax(amax, std::fabs(x[i]));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    ActBlock& blk = out[b];
    blk.d = ggml_fp16_to_fp32(ggml_fp32_to_fp16(amax / 127.0f));
    blk.sum = 0;
    for (int i = 0; i < kBlockCols; ++i) {
      blk.q[i] = static_cast<int8_t>(std::nearbyint(x[i] * id));
      blk.sum += blk.q[i];
    }
  }
}

void packed_matmul_reference(PackedFormat f, const void* w, int64_t n_in, int64_t n_out,
                             const ActBlock* x, int64_t n_tokens, float* out) {
  const int64_t nb = n_in / kBlockCols;
  const size_t block_bytes = packed_block_bytes(f);
  const int offset = packed_value_offset(f);
  for (int64_t t = 0; t < n_tokens; ++t) {
    const ActBlock* row = x + t * nb;
    for (int64_t o = 0; o < n_out; ++o) {
      const int64_t g = o / kGroupRows;
      const int r = static_cast<int>(o % kGroupRows);
      float acc = 0.0f;
      for (int64_t b = 0; b < nb; ++b) {
        const auto* blk = static_cast<const uint8_t*>(w) + (g * nb + b) * block_bytes;
        ggml_fp16_t d = 0;
        std::memcpy(&d, blk + r * sizeof(ggml_fp16_t), sizeof(d));
        int32_t dot = 0;
        for (int c = 0; c < kBlockCols; ++c) {
          dot += (packed_value(f, blk, r, c) - offset) * row[b].q[c];
        }
        acc += ggml_fp16_to_fp32(d) * row[b].d * static_cast<float>(dot);
      }
      out[t * n_out + o] = acc;
    }
  }
}

void quantize_row(const float* x, int64_t n_in, ActBlock* out) {
  if (packed_kernels_available()) {
    quantize_row_avx512(x, n_in, out);
  } else {
    quantize_row_reference(x, n_in, out);
  }
}

void packed_matmul_groups(PackedFormat f, const void* w, int64_t n_in, int64_t g_begin,
                          int64_t g_end, const ActBlock* x, int64_t n_tokens, float* out,
                          int64_t out_stride) {
  assert(packed_kernels_available());
  packed_matmul_groups_avx512(f, w, n_in, g_begin, g_end, x, n_tokens, out, out_stride);
}

}  // namespace cria::engine::cpu
