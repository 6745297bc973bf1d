// A Go text/template engine, as Ollama's chat templates use it.
//
// Supported: text and actions with {{- -}} trimming, comments, pipelines, fields, variables
// (:= and =), if/else if/else, range (arrays, objects, integers; break/continue; else),
// with/else, define/template/block, parenthesised pipelines, literals, Go's truthiness, and the
// functions and/or/not/eq/ne/lt/le/gt/ge/len/index/slice/printf/print/println/html/urlquery/js
// plus Ollama's json/currentDate/yesterdayDate/toTypeScriptType and the extras in funcs.h.
//
// Data is an nlohmann::ordered_json. Differences from Go, because the data is JSON rather than
// Go values (documented in funcs.h too):
//  - `.Name` on an object tries the key "Name", then its snake_case form ("ToolCallID" ->
//    "tool_call_id"), then its lower-case form; a missing key (or a field of null) is null.
//  - range over an object visits keys in the data's order (Go sorts map keys).
//  - numbers compare by value across integers and floats (Go refuses mixed kinds).
//  - printing an object or array prints its JSON (as Ollama's tool and argument types do);
//    printing null prints "<no value>".
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace cria::tmpl {

using Json = nlohmann::ordered_json;
struct Tree;

// A calendar date, for currentDate/yesterdayDate (injected by tests; the clock otherwise).
struct Date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

struct ExecOptions {
  std::optional<Date> today;           // unset: the local date from the system clock
  std::size_t max_output = 64u << 20;  // bytes; more is an error
  int max_depth = 100;                 // nested {{template}} calls
  std::size_t max_steps = 50'000'000;  // nodes and commands evaluated
};

class Template {
 public:
  // Parses `text`. Errors name the line and column: "template: 3:7: unexpected ...".
  static Result<Template> parse(std::string_view text);

  // Runs the template with `data` as dot and $.
  Result<std::string> execute(const Json& data, const ExecOptions& options = {}) const;

  // The field and variable names the template mentions anywhere, lower-cased and sorted
  // (Ollama's Template.Vars): `.Messages` and `$.Messages` give "messages".
  const std::vector<std::string>& identifiers() const { return identifiers_; }
  bool mentions(std::string_view lowercase_name) const;

  // A copy of this template with every node after the first `.Response` field removed (in
  // tree order), as Ollama does for the last turn of an old-style (prompt/response) template.
  Template cut_after_response() const;

  const std::string& source() const { return source_; }

 private:
  std::shared_ptr<const Tree> tree_;
  std::vector<std::string> identifiers_;
  std::string source_;
};

}  // namespace cria::tmpl
