// Which layers of a model attend through a sliding window, read from GGUF metadata as
// llama.cpp reads it: `<arch>.attention.sliding_window_pattern` is either one flag per layer
// (an array) or a period n (a number): in each run of n layers the first n - 1 are local and
// the last one global. Without the key the architecture's default period applies.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/reader.h"

namespace cria::engine {

// n_layer flags, 1 for a sliding-window layer. Period 0: every layer local.
std::vector<uint8_t> swa_layers_by_period(int32_t n_layer, int32_t period);

// The flags for `file`, with `default_period` when the key is absent. kCorrupt for an array of
// the wrong length or type.
Result<std::vector<uint8_t>> read_swa_layers(const gguf::File& file, std::string_view arch,
                                             int32_t n_layer, int32_t default_period);

}  // namespace cria::engine
