// Packed weights (packed.h) in ggml graphs: the tag a packed weight carries, and the two
// custom ops that multiply by one (activations quantized once, then the packed product).
// They run on ggml's CPU threads like any other op.
#pragma once

#include <optional>

#include <ggml.h>

#include "engine/cpu/packed.h"

namespace cria::engine::cpu {

// Marks `w` (its data already in the packed layout, in host memory) as packed. Its ggml
// type and shape stay those of the source matrix; only our ops may read it.
void mark_packed(ggml_tensor* w, PackedFormat f);
// The format of a packed weight, or none for any other tensor.
std::optional<PackedFormat> packed_format_of(const ggml_tensor* w);

// y = W x for a packed `w` ([n_in, n_out]) and F32 x [n_in, ne1, ne2, ne3] (rows of
// contiguous floats, any row strides) → F32 [n_out, ne1, ne2, ne3], as ggml_mul_mat.
ggml_tensor* packed_mul_mat(ggml_context* ctx, ggml_tensor* w, ggml_tensor* x);

}  // namespace cria::engine::cpu
