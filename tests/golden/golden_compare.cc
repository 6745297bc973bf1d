#include "golden_compare.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <gtest/gtest.h>

namespace cria::test {

Tolerance float_tolerance() {
  return {};
}

Tolerance quantized_tolerance() {
  return Tolerance{.logit = 0.5f, .mean = 0.2f, .std = 0.2f, .margin = 1.0f};
}

std::string Deviation::summary() const {
  std::ostringstream s;
  s << "max|dlogit| " << logit << ", max|dmean| " << mean << ", max|dstd| " << std << ", rows "
    << rows << ", top-1 mismatches " << top1_mismatch << "/" << top1_checked
    << " checked (any margin: " << top1_any_mismatch << "/" << rows << "), greedy " << greedy_match
    << "/" << greedy_checked;
  return s.str();
}

int32_t argmax(std::span<const float> row) {
  return static_cast<int32_t>(std::max_element(row.begin(), row.end()) - row.begin());
}

double golden_margin(const nlohmann::json& row) {
  return row["top"][0][1].get<double>() - row["top"][1][1].get<double>();
}

namespace {

void row_stats(std::span<const float> row, double& mean, double& std) {
  double sum = 0;
  for (float x : row) sum += x;
  mean = sum / static_cast<double>(row.size());
  double var = 0;
  for (float x : row) var += (x - mean) * (x - mean);
  std = std::sqrt(var / static_cast<double>(row.size()));
}

}  // namespace

bool compare_row(std::span<const float> logits, const nlohmann::json& golden, const Tolerance& tol,
                 const std::string& where, Deviation& dev) {
  ++dev.rows;
  for (const auto& entry : golden["top"]) {
    const auto id = entry[0].get<size_t>();
    const double want = entry[1].get<double>();
    const double d = std::abs(static_cast<double>(logits[id]) - want);
    dev.logit = std::max(dev.logit, d);
    EXPECT_LE(d, tol.logit) << where << ": token " << id << " logit " << logits[id] << ", golden "
                            << want;
  }
  double mean = 0, std = 0;
  row_stats(logits, mean, std);
  const double dm = std::abs(mean - golden["mean"].get<double>());
  const double ds = std::abs(std - golden["std"].get<double>());
  dev.mean = std::max(dev.mean, dm);
  dev.std = std::max(dev.std, ds);
  EXPECT_LE(dm, tol.mean) << where << ": row mean";
  EXPECT_LE(ds, tol.std) << where << ": row std";
  const auto want_top = golden["top"][0][0].get<int32_t>();
  const int32_t top = argmax(logits);
  if (top != want_top) ++dev.top1_any_mismatch;
  if (golden_margin(golden) <= tol.margin) return false;
  ++dev.top1_checked;
  if (top != want_top) ++dev.top1_mismatch;
  EXPECT_EQ(top, want_top) << where << ": argmax (golden margin " << golden_margin(golden) << ")";
  return true;
}

}  // namespace cria::test
