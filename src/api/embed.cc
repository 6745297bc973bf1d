#include "api/embed.h"

#include <cmath>

namespace cria::api {

Status check_embedding(std::span<const float> v) {
  for (float x : v) {
    if (!std::isfinite(x)) {
      return make_error(Errc::kInvalidArgument,
                        "the model produced an embedding with NaN or infinite values");
    }
  }
  return {};
}

Status normalize_embedding(std::span<float> v) {
  CRIA_RETURN_IF_ERROR(check_embedding(v));
  double sum = 0;
  for (float x : v) sum += static_cast<double>(x) * x;
  if (sum == 0) return {};
  const double norm = std::sqrt(sum);
  for (float& x : v) x = static_cast<float>(x / norm);
  return {};
}

Status finish_embedding(std::vector<float>& v, int64_t dimensions) {
  if (dimensions > 0 && static_cast<size_t>(dimensions) < v.size()) {
    v.resize(static_cast<size_t>(dimensions));
  }
  return normalize_embedding(v);
}

}  // namespace cria::api
