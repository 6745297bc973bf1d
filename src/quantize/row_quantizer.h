// Converts a tensor's rows from F32/F16/BF16 to another type with ggml's own
// quantizers, on several threads. Each thread converts chunks of rows to F32
// in its own buffer, kept between tensors, so that memory stays at one chunk
// per thread beyond the output.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/types.h"

namespace cria::quantize {

struct RowJob {
  std::string_view name;  // for messages
  gguf::TensorType from = 0;
  std::span<const uint8_t> data;  // n_rows rows of `from`
  gguf::TensorType to = 0;
  int64_t n_per_row = 0;
  int64_t n_rows = 0;
};

class RowQuantizer {
 public:
  explicit RowQuantizer(int n_threads);

  // The rows of `job` in type `job.to`. Fails for a source type that is not
  // F32/F16/BF16, a target that needs an importance matrix, or output that
  // ggml's validation refuses (NaN or Inf in the input).
  Result<std::vector<uint8_t>> run(const RowJob& job);

 private:
  struct Chunking {
    int64_t rows_per_chunk;
    int64_t n_chunks;
  };
  static Chunking chunking(const RowJob& job);
  // Converts rows [row0, row0 + n) into `out`; false if validation failed.
  bool convert(const RowJob& job, int64_t row0, int64_t n, std::vector<float>& scratch,
               uint8_t* out) const;

  int n_threads_;
  std::vector<std::vector<float>> scratch_;  // one per thread
};

}  // namespace cria::quantize
