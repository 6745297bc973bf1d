// Ollama's model options ("options" in a request, PARAMETER in a Modelfile) with
// Ollama's defaults, typed. Values are merged in layers: defaults, then the
// model's parameters, then the request's options.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace cria::api {

using Json = nlohmann::ordered_json;

struct Options {
  // Load-time options: a change reloads the model.
  int64_t num_ctx = 4096;
  int64_t num_batch = 512;
  int64_t num_gpu = -1;
  int64_t main_gpu = 0;
  int64_t num_thread = 0;
  bool use_mmap = true;
  // Per-request options.
  int64_t num_keep = 4;
  int64_t seed = -1;
  int64_t num_predict = -1;
  int64_t top_k = 40;
  double top_p = 0.9;
  double min_p = 0.0;
  double typical_p = 1.0;
  int64_t repeat_last_n = 64;
  double temperature = 0.8;
  double repeat_penalty = 1.0;
  double presence_penalty = 0.0;
  double frequency_penalty = 0.0;
  std::vector<std::string> stop;
};

// Sets the options named in `object` (a JSON object). A value of the wrong type
// fails with a message naming the option; unknown names are returned in `unknown`
// (Ollama ignores them with a warning). Numbers given as strings are refused.
Status apply_options(const Json& object, Options& options, std::vector<std::string>* unknown);

// Refuses values no model can run with: num_ctx < 1 or absurdly large, num_predict
// beyond 2^31, NaN or out-of-range probabilities. The message names the option.
Status validate_options(const Options& options);

// The options that differ from the defaults, as Ollama lists a model's parameters.
Json options_to_json(const Options& options);

}  // namespace cria::api
