// JSON output formats as grammars: Ollama's `format: "json"` and `format: <JSON schema>`.
//
// Supported schema keywords:
//   type (a name or a list of names): object, array, string, number, integer, boolean, null
//   object: properties (emitted in the listed order), required (others are optional);
//           only the listed properties are allowed (additionalProperties is treated as
//           false, as Ollama's and llama.cpp's converters do by default). An object with
//           no properties takes any members, whose values follow additionalProperties
//           when that is a schema.
//   array:  items, minItems, maxItems
//   string: minLength, maxLength; enum and const (of any JSON type)
//   anyOf, oneOf (both as "any of"), allOf with exactly one schema,
//   $ref to "#", "#/$defs/NAME" or "#/definitions/NAME" (recursion allowed).
// Ignored (the output still follows everything else): pattern, format, minimum,
// maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, uniqueItems, and
// annotations (title, description, default, examples, $schema, $id, ...).
// Refused with "unsupported JSON schema: ...": allOf of several schemas, not,
// if/then/else, prefixItems, patternProperties, contains, dependentSchemas,
// dependentRequired, propertyNames, unevaluatedProperties, other $ref targets,
// unknown types, and the schema `false`.
//
// Whitespace between tokens is bounded (one space, or a newline and up to 20
// spaces or tabs) so a model cannot loop on it; numbers have at most 16 integer
// digits, 16 fraction digits and 2 exponent digits (every number fits a double).
// String escapes: \" \\ \/ \b \f \n \r \t and \uXXXX outside the surrogates
// (characters beyond the BMP appear as UTF-8). The top-level value has no
// whitespace around it, so the grammar completes with its closing character.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sampler/grammar.h"

namespace cria {

// The grammar text of format "json": one JSON object, any members (Ollama's json mode).
std::string json_object_gbnf();

// The grammar text for a JSON schema given as JSON text; the schema's value is rule
// `root_rule`, so a larger grammar can embed it (its other rules are named "hint-N" and
// the generic JSON ones ws, value, object, member, array, string, char, hex, integer,
// number, boolean, null).
Result<std::string> json_schema_to_gbnf(std::string_view schema_json,
                                        std::string_view root_rule = "root");

// A grammar literal matching exactly these bytes ("..." with escapes).
std::string gbnf_literal(std::string_view bytes);

// Both, compiled.
Result<std::shared_ptr<const Grammar>> json_object_grammar();
Result<std::shared_ptr<const Grammar>> json_schema_grammar(std::string_view schema_json);

}  // namespace cria
