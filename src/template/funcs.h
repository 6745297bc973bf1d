// The template functions (internal to src/template).
//
// Go's built-ins: and or not eq ne lt le gt ge len index slice printf print println html
// urlquery js (not call). Ollama's: json, currentDate, yesterdayDate, toTypeScriptType.
//
// Cria's extras (not in Ollama; used by the built-in templates):
//   currentDate LAYOUT / yesterdayDate LAYOUT  format with a Go layout ("02 Jan 2006",
//                          "January 02, 2006"); Ollama accepts and ignores the argument.
//   pyjson V               Python's json.dumps(V) as Hugging Face's tojson: ", " and ": "
//                          separators, non-ASCII kept, keys in the data's order.
//   pyjsonIndent N V       json.dumps(V, indent=N).
//   trim S                 S without leading and trailing white space (Python's strip()).
//   trimLeft CUTSET S / trimRight CUTSET S   strip characters in CUTSET from one side.
//   contains SUB S, hasPrefix P S, hasSuffix P S   substring tests (sprig's argument order).
//   replace OLD NEW S      every OLD in S replaced by NEW (sprig's order).
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "template/template.h"
#include "template/value.h"

namespace cria::tmpl {

struct FuncEnv {
  Date today;
};

using Func = Result<Value> (*)(const std::vector<Value>& args, const FuncEnv& env);

struct FuncSpec {
  std::string_view name;
  Func fn;  // null for and/or, which the executor evaluates lazily
  int min_args;
  int max_args;  // -1: any number
};

const FuncSpec* find_function(std::string_view name);

}  // namespace cria::tmpl
