// A JSON-schema validator for tests of structured output: the keywords sampler/json_schema.h
// supports (type and type lists, properties (others refused, as the grammar does),
// required, items, minItems, maxItems, minLength, maxLength in code points, enum, const,
// anyOf, oneOf as "any of", $ref to #, #/$defs/NAME and #/definitions/NAME, boolean schemas).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace cria::test {

// The schema `ref` names inside `root`.
const nlohmann::ordered_json& resolve_ref(const std::string& ref,
                                          const nlohmann::ordered_json& root);

// Whether `value` follows `schema` (whose $refs resolve in `root`); else `why` says which
// keyword failed, on what.
bool schema_valid(const nlohmann::ordered_json& value, const nlohmann::ordered_json& schema,
                  const nlohmann::ordered_json& root, std::string& why);

}  // namespace cria::test
