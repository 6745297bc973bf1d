// The packed product and activation quantization with AVX-512 (F, BW, VL, VNNI). This file
// is compiled for those extensions only (see CMakeLists.txt); nothing in it may run unless
// packed_kernels_available() says the CPU has them.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "engine/cpu/packed.h"
#include "engine/cpu/packed_kernels.h"

#if defined(__AVX512F__)
#include <immintrin.h>

namespace cria::engine::cpu {
namespace {

constexpr int kQ5Nibbles = kGroupRows * 2;     // bytes before the nibbles
constexpr int kQ5Masks = kQ5Nibbles + 4 * 64;  // bytes before the fifth bits
constexpr int64_t kTokenChunk = 64;            // tokens whose activations stay in L2

// The 4 activation bytes of step s (columns 4s..4s+3) of a block, in every 32-bit lane.
inline __m512i step_of(const ActBlock& a, int s) {
  int32_t v = 0;
  std::memcpy(&v, a.q + 4 * s, sizeof(v));
  return _mm512_set1_epi32(v);
}

inline __m512i fifth_bits(__m512i nibbles, const uint8_t* mask_bytes) {
  uint64_t m = 0;
  std::memcpy(&m, mask_bytes, sizeof(m));
  return _mm512_mask_add_epi8(nibbles, _cvtu64_mask64(m), nibbles, _mm512_set1_epi8(16));
}

// G groups x T tokens: out[t][g * 16 + r] = row (g, r) . token t, over nb blocks.
template <PackedFormat F, int T, int G>
void tile(const uint8_t* w, size_t group_stride, int64_t nb, const ActBlock* const* x,
          float* const* out) {
  constexpr size_t kBlock = packed_block_bytes(F);
  constexpr int kOffset = packed_value_offset(F);
  __m512 accf[G][T];
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) accf[g][t] = _mm512_setzero_ps();
  }
  for (int64_t b = 0; b < nb; ++b) {
    const uint8_t* blk[G];
    __m512i acc[G][T];
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) blk[g] = w + g * group_stride + b * kBlock;
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) {
      const __m512i init = _mm512_set1_epi32(-kOffset * x[t][b].sum);
#pragma GCC unroll 8
      for (int g = 0; g < G; ++g) acc[g][t] = init;
    }
    if constexpr (F == PackedFormat::kQ8_0) {
#pragma GCC unroll 8
      for (int s = 0; s < 8; ++s) {
#pragma GCC unroll 8
        for (int g = 0; g < G; ++g) {
          const __m512i wv = _mm512_loadu_si512(blk[g] + kGroupRows * 2 + 64 * s);
#pragma GCC unroll 8
          for (int t = 0; t < T; ++t) {
            acc[g][t] = _mm512_dpbusd_epi32(acc[g][t], wv, step_of(x[t][b], s));
          }
        }
      }
    } else {
      const __m512i low4 = _mm512_set1_epi8(0x0F);
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
#pragma GCC unroll 8
        for (int g = 0; g < G; ++g) {
          const __m512i nib = _mm512_loadu_si512(blk[g] + kQ5Nibbles + 64 * j);
          const __m512i lo = fifth_bits(_mm512_and_si512(nib, low4), blk[g] + kQ5Masks + 8 * j);
          const __m512i hi = fifth_bits(_mm512_and_si512(_mm512_srli_epi16(nib, 4), low4),
                                        blk[g] + kQ5Masks + 8 * (j + 4));
#pragma GCC unroll 8
          for (int t = 0; t < T; ++t) {
            acc[g][t] = _mm512_dpbusd_epi32(acc[g][t], lo, step_of(x[t][b], j));
            acc[g][t] = _mm512_dpbusd_epi32(acc[g][t], hi, step_of(x[t][b], j + 4));
          }
        }
      }
    }
#pragma GCC unroll 8
    for (int g = 0; g < G; ++g) {
      const __m512 dw =
          _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk[g])));
#pragma GCC unroll 8
      for (int t = 0; t < T; ++t) {
        const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(x[t][b].d));
        accf[g][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[g][t]), d, accf[g][t]);
      }
    }
  }
#pragma GCC unroll 8
  for (int g = 0; g < G; ++g) {
#pragma GCC unroll 8
    for (int t = 0; t < T; ++t) _mm512_storeu_ps(out[t] + g * kGroupRows, accf[g][t]);
  }
}

template <PackedFormat F, int T, int G>
void run_tile(const uint8_t* w, size_t group_stride, int64_t nb, int64_t g, const ActBlock* x,
              int64_t t0, float* out, int64_t out_stride) {
  const ActBlock* xs[T];
  float* outs[T];
  for (int t = 0; t < T; ++t) {
    xs[t] = x + (t0 + t) * nb;
    outs[t] = out + (t0 + t) * out_stride + g * kGroupRows;
  }
  tile<F, T, G>(w + g * group_stride, group_stride, nb, xs, outs);
}

template <PackedFormat F>
void matmul_groups(const uint8_t* w, int64_t n_in, int64_t g_begin, int64_t g_end,
                   const ActBlock* x, int64_t n_tokens, float* out, int64_t out_stride) {
  const int64_t nb = n_in / kBlockCols;
  const size_t group_stride = static_cast<size_t>(nb) * packed_block_bytes(F);
  if (n_tokens < 4) {  // decode: four groups at a time keep four chains of dot products going
    for (int64_t t = 0; t < n_tokens; ++t) {
      int64_t g = g_begin;
      for (; g + 4 <= g_end; g += 4)
        run_tile<F, 1, 4>(w, group_stride, nb, g, x, t, out, out_stride);
      for (; g < g_end; ++g) run_tile<F, 1, 1>(w, group_stride, nb, g, x, t, out, out_stride);
    }
    return;
  }
  for (int64_t c0 = 0; c0 < n_tokens; c0 += kTokenChunk) {
    const int64_t c1 = std::min(n_tokens, c0 + kTokenChunk);
    int64_t g = g_begin;
    for (; g + 2 <= g_end; g += 2) {
      int64_t t = c0;
      for (; t + 4 <= c1; t += 4) run_tile<F, 4, 2>(w, group_stride, nb, g, x, t, out, out_stride);
      for (; t < c1; ++t) run_tile<F, 1, 2>(w, group_stride, nb, g, x, t, out, out_stride);
    }
    for (; g < g_end; ++g) {
      int64_t t = c0;
      for (; t + 4 <= c1; t += 4) run_tile<F, 4, 1>(w, group_stride, nb, g, x, t, out, out_stride);
      for (; t < c1; ++t) run_tile<F, 1, 1>(w, group_stride, nb, g, x, t, out, out_stride);
    }
  }
}

}  // namespace

void packed_matmul_groups_avx512(PackedFormat f, const void* w, int64_t n_in, int64_t g_begin,
                                 int64_t g_end, const ActBlock* x, int64_t n_tokens, float* out,
                                 int64_t out_stride) {
  const auto* wb = static_cast<const uint8_t*>(w);
  if (f == PackedFormat::kQ8_0) {
    matmul_groups<PackedFormat::kQ8_0>(wb, n_in, g_begin, g_end, x, n_tokens, out, out_stride);
  } else {
    matmul_groups<PackedFormat::kQ5_0>(wb, n_in, g_begin, g_end, x, n_tokens, out, out_stride);
  }
}

void quantize_row_avx512(const float* x, int64_t n_in, ActBlock* out) {
  for (int64_t b = 0; b < n_in / kBlockCols; ++b, x += kBlockCols) {
    const __m512 v0 = _mm512_loadu_ps(x);
    const __m512 v1 = _mm512_loadu_ps(x + 16);
    const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(v0), _mm512_abs_ps(v1)));
    const float id = amax != 0.0f ? 127.0f / amax : 0.0f;
    ActBlock& blk = out[b];
    blk.d = _cvtsh_ss(_cvtss_sh(amax / 127.0f, _MM_FROUND_TO_NEAREST_INT));
    const __m512 m = _mm512_set1_ps(id);
    const __m512i i0 = _mm512_cvtps_epi32(_mm512_mul_ps(v0, m));  // round half to even
    const __m512i i1 = _mm512_cvtps_epi32(_mm512_mul_ps(v1, m));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(blk.q), _mm512_cvtepi32_epi8(i0));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(blk.q + 16), _mm512_cvtepi32_epi8(i1));
    blk.sum = _mm512_reduce_add_epi32(_mm512_add_epi32(i0, i1));
  }
}

}  // namespace cria::engine::cpu

#else  // no AVX-512 for this target: packed_kernels_available() is false, nothing calls these.

namespace cria::engine::cpu {

void packed_matmul_groups_avx512(PackedFormat, const void*, int64_t, int64_t, int64_t,
                                 const ActBlock*, int64_t, float*, int64_t) {
  std::abort();
}
void quantize_row_avx512(const float*, int64_t, ActBlock*) {
  std::abort();
}

}  // namespace cria::engine::cpu

#endif
