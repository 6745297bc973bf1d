#include "engine/cpu/packer.h"

#include <cassert>

#include "engine/cpu/ops.h"
#include "engine/cpu/packed.h"

namespace cria::engine::cpu {
namespace {

std::optional<PackedFormat> format_of(const gguf::TensorInfo& t) {
  if (t.n_dims != 2) return std::nullopt;
  return packed_format(static_cast<ggml_type>(t.type), t.ne[0], t.ne[1]);
}

}  // namespace

backend::WeightsOptions::Packer weight_packer() {
  if (!packed_kernels_available()) return {};
  return {
      .accepts = [](const gguf::TensorInfo& t) { return format_of(t).has_value(); },
      .pack =
          [](const gguf::TensorInfo& t, std::span<const uint8_t> src, ggml_tensor* dst) {
            const PackedFormat f = *format_of(t);
            assert(src.size() == ggml_nbytes(dst));
            pack_matrix(f, src.data(), t.ne[0], t.ne[1], dst->data);
            mark_packed(dst, f);
          },
  };
}

}  // namespace cria::engine::cpu
