// The weights loader's hook for packed matrices (backend::WeightsOptions::packer).
#pragma once

#include "backend/weights.h"

namespace cria::engine::cpu {

// Packs every q8_0/q5_0 matmul weight whose shape fits (packed.h) and marks it (ops.h).
// Empty (no packing) when this CPU cannot run the packed kernels.
backend::WeightsOptions::Packer weight_packer();

}  // namespace cria::engine::cpu
