// The AVX-512 kernels behind packed.h (packed_avx512.cc); call only when
// packed_kernels_available().
#pragma once

#include <cstdint>

#include "engine/cpu/packed.h"

namespace cria::engine::cpu {

void packed_matmul_groups_avx512(PackedFormat f, const void* w, int64_t n_in, int64_t g_begin,
                                 int64_t g_end, const ActBlock* x, int64_t n_tokens, float* out,
                                 int64_t out_stride);
void quantize_row_avx512(const float* x, int64_t n_in, ActBlock* out);

}  // namespace cria::engine::cpu
