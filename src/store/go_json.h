// JSON encoded byte for byte as Go's encoding/json Encoder writes it (compact,
// '<', '>' and '&' escaped as \u003c..., floats in Go's shortest form, a
// trailing newline), so that blobs written here hash the same as Ollama's.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace cria::store {

using Json = nlohmann::json;                 // objects with sorted keys, like a Go map
using OrderedJson = nlohmann::ordered_json;  // objects in insertion order, like a Go struct

// Encodes `v`; `newline` appends '\n' as json.Encoder.Encode does.
std::string go_json(const Json& v, bool newline = true);
std::string go_json(const OrderedJson& v, bool newline = true);

// A float64 as Go's encoding/json writes it (shortest round-trip digits,
// exponent form below 1e-6 or from 1e21).
std::string go_float(double v);

// Parses JSON without throwing; the error names `what`.
Result<Json> parse_json(std::string_view text, std::string_view what);

}  // namespace cria::store
