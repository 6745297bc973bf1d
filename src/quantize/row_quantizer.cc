#include "quantize/row_quantizer.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include <fmt/core.h>
#include <ggml.h>

namespace cria::quantize {

namespace {

// About this many elements per chunk, as llama.cpp does: small enough to
// spread a tensor over the threads, large enough to keep the hand-off cheap.
constexpr int64_t kChunkElements = 32 * 512;

bool is_float_source(gguf::TensorType t) {
  return t == GGML_TYPE_F32 || t == GGML_TYPE_F16 || t == GGML_TYPE_BF16;
}

// The F32 values of `n` elements at `src`: in place when the source is
// aligned F32, else converted into `scratch`.
const float* as_f32(gguf::TensorType from, const uint8_t* src, int64_t n,
                    std::vector<float>& scratch) {
  if (from == GGML_TYPE_F32 && reinterpret_cast<uintptr_t>(src) % alignof(float) == 0)
    return reinterpret_cast<const float*>(src);
  if (scratch.size() < static_cast<size_t>(n)) scratch.resize(n);
  if (from == GGML_TYPE_F32) {
    std::memcpy(scratch.data(), src, n * sizeof(float));
  } else if (from == GGML_TYPE_F16) {
    ggml_fp16_to_fp32_row(reinterpret_cast<const ggml_fp16_t*>(src), scratch.data(), n);
  } else {
    ggml_bf16_to_fp32_row(reinterpret_cast<const ggml_bf16_t*>(src), scratch.data(), n);
  }
  return scratch.data();
}

}  // namespace

RowQuantizer::RowQuantizer(int n_threads) : n_threads_(std::max(1, n_threads)) {
  scratch_.resize(n_threads_);
}

RowQuantizer::Chunking RowQuantizer::chunking(const RowJob& job) {
  const int64_t rows = std::max<int64_t>(1, (kChunkElements + job.n_per_row - 1) / job.n_per_row);
  return {rows, (job.n_rows + rows - 1) / rows};
}

bool RowQuantizer::convert(const RowJob& job, int64_t row0, int64_t n, std::vector<float>& scratch,
                           uint8_t* out) const {
  const auto from = static_cast<ggml_type>(job.from);
  const auto to = static_cast<ggml_type>(job.to);
  const uint8_t* src = job.data.data() + row0 * ggml_row_size(from, job.n_per_row);
  const float* f32 = as_f32(job.from, src, n * job.n_per_row, scratch);
  uint8_t* dst = out + row0 * ggml_row_size(to, job.n_per_row);
  const size_t size = ggml_quantize_chunk(to, f32, dst, 0, n, job.n_per_row, nullptr);
  return ggml_validate_row_data(to, dst, size);
}

Result<std::vector<uint8_t>> RowQuantizer::run(const RowJob& job) {
  if (!is_float_source(job.from)) {
    return make_error(Errc::kUnsupported,
                      fmt::format("tensor '{}': cannot convert from type {}", job.name,
                                  ggml_type_name(static_cast<ggml_type>(job.from))));
  }
  const auto to = static_cast<ggml_type>(job.to);
  if (ggml_quantize_requires_imatrix(to)) {
    return make_error(Errc::kUnsupported,
                      fmt::format("tensor '{}': type {} needs an importance matrix", job.name,
                                  ggml_type_name(to)));
  }
  if (job.n_per_row <= 0 || job.n_rows <= 0) return std::vector<uint8_t>{};
  assert(job.data.size() ==
         job.n_rows * ggml_row_size(static_cast<ggml_type>(job.from), job.n_per_row));
  ggml_quantize_init(to);
  std::vector<uint8_t> out(job.n_rows * ggml_row_size(to, job.n_per_row));

  const Chunking c = chunking(job);
  std::atomic<int64_t> next{0};
  std::atomic<bool> valid{true};
  auto work = [&](std::vector<float>& scratch) {
    for (int64_t i = next++; i < c.n_chunks && valid; i = next++) {
      const int64_t row0 = i * c.rows_per_chunk;
      const int64_t n = std::min(c.rows_per_chunk, job.n_rows - row0);
      if (!convert(job, row0, n, scratch, out.data())) valid = false;
    }
  };
  const int n_threads = static_cast<int>(std::min<int64_t>(n_threads_, c.n_chunks));
  std::vector<std::thread> helpers;
  for (int t = 1; t < n_threads; ++t) helpers.emplace_back(work, std::ref(scratch_[t]));
  work(scratch_[0]);
  for (auto& h : helpers) h.join();
  if (!valid) {
    return make_error(Errc::kCorrupt,
                      fmt::format("tensor '{}': the {} data failed ggml's validation (NaN or "
                                  "infinite values in the input?)",
                                  job.name, ggml_type_name(to)));
  }
  return out;
}

}  // namespace cria::quantize
