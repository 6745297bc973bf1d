// Quantizes an F32/F16/BF16 GGUF file into one of llama.cpp's mixes
// (cria create --quantize, POST /api/create "quantize"). The tensor types
// follow llama.cpp's llama-quantize (tensor_rules.h); the values come from
// ggml's own quantizers. Metadata is copied in order, with
// general.file_type and general.quantization_version set.
//
// Memory: the input is mapped and tensors that keep their type are written
// straight from the mapping, but the converted tensors are held in memory
// until the file is written (gguf::Writer takes whole tensors), so the peak
// is about the size of the output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "base/result.h"
#include "quantize/file_type.h"

namespace cria::quantize {

struct QuantizeOptions {
  std::string input;   // an F32/F16/BF16 GGUF file
  std::string output;  // written atomically; replaced if it exists
  std::string type;    // "q4_K_M", "Q8_0", ... (file_type.h)
  int threads = 0;     // 0: the physical core count
  // Called on the calling thread after each tensor.
  std::function<void(size_t tensors_done, size_t tensors_total)> progress;
};

struct QuantizeReport {
  FileType type;
  size_t n_tensors = 0;
  size_t n_converted = 0;     // tensors whose type changed
  size_t n_fallback = 0;      // tensors whose row length did not fit the mix's type
  uint64_t input_bytes = 0;   // tensor data
  uint64_t output_bytes = 0;  // tensor data
};

Result<QuantizeReport> quantize_gguf(const QuantizeOptions& options);

}  // namespace cria::quantize
