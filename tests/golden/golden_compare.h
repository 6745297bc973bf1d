// Comparing our logits with llama.cpp's golden rows (../shared/fixtures/README.md).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

namespace cria::test {

struct Tolerance {
  float logit = 3e-2f;   // |Δ logit| for every golden top-20 id
  float mean = 1e-3f;    // |Δ mean| of the row
  float std = 2e-3f;     // |Δ std| of the row
  float margin = 6e-2f;  // argmax must agree where the golden top-1 margin exceeds this
};

// F16/F32 weights, or quantized ones.
Tolerance float_tolerance();
Tolerance quantized_tolerance();

// The largest deviations seen over a model's rows.
struct Deviation {
  double logit = 0;
  double mean = 0;
  double std = 0;
  int rows = 0;
  int top1_checked = 0;       // rows whose margin made argmax comparable
  int top1_mismatch = 0;      // of those, rows with a different argmax
  int top1_any_mismatch = 0;  // rows with a different argmax, whatever the margin
  int greedy_checked = 0;     // generated tokens compared (up to a low-margin step)
  int greedy_match = 0;

  std::string summary() const;
};

// Index of the largest value, the lowest index on ties.
int32_t argmax(std::span<const float> row);
// golden.top[0] - golden.top[1].
double golden_margin(const nlohmann::json& row);

// Compares one row of logits with a golden {"top", "mean", "std"} row, updating `dev`;
// adds gtest failures (with `where`) beyond `tol`. Returns true when argmax was comparable.
bool compare_row(std::span<const float> logits, const nlohmann::json& golden, const Tolerance& tol,
                 const std::string& where, Deviation& dev);

}  // namespace cria::test
