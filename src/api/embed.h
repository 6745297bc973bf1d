// What Ollama does to a pooled embedding before it returns it from /api/embed and
// /v1/embeddings: `dimensions` keeps the first n values, then the vector is L2-normalised.
#pragma once

#include <span>
#include <vector>

#include "base/result.h"

namespace cria::api {

// kInvalidArgument when a value is NaN or infinite.
Status check_embedding(std::span<const float> v);

// v / ||v||; a zero vector stays zero. kInvalidArgument when a value is NaN or infinite.
Status normalize_embedding(std::span<float> v);

// Keeps the first `dimensions` values (0 or more than there are: all), then normalises.
Status finish_embedding(std::vector<float>& v, int64_t dimensions);

}  // namespace cria::api
