// Ollama's model options (api.Options and api.Runner) by name and type, as
// PARAMETER lines and the "parameters" of /api/create carry them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/go_json.h"

namespace cria::store {

enum class ParamType { kInt, kFloat, kBool, kStringList };

// The type of a known option, or nullptr.
const ParamType* find_param(std::string_view name);
// Options Ollama accepts but ignores (it prints a deprecation warning).
bool is_deprecated_param(std::string_view name);
// Every known option name, sorted.
std::vector<std::string> param_names();

// Converts one PARAMETER value to its typed JSON value ("stop" gives a
// string; the caller collects repeats into an array). The error names the
// option and the type it wants.
Result<Json> parse_param(std::string_view name, std::string_view value);

// Checks (and normalises: numbers given as strings, a single stop string)
// an /api/create "parameters" object. Unknown names are an error.
Result<Json> normalize_params(const Json& params);

// One parameter value as `ollama show` prints it ("4096", "0.7", "true", text).
std::string param_text(const Json& v);

}  // namespace cria::store
