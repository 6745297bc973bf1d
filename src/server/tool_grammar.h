// Grammars that force a tool call: OpenAI's tool_choice "required" or a named function,
// Anthropic's "any" or "tool". The model writes its own call syntax
// (tmpl::tool_call_shape) around one JSON value naming one of the tools, whose arguments
// follow that tool's parameters schema (a schema the grammar cannot express, or one with
// $ref, falls back to any JSON object). A thinking model may think first.
#pragma once

#include <string>

#include "api/types.h"
#include "base/result.h"
#include "template/output_parser.h"

namespace cria::server {

struct ForcedToolOptions {
  bool may_think = false;        // the model has think tags and thinking is not off
  bool prompt_in_think = false;  // the prompt already opened <think>
};

// The grammar text; kInvalidArgument when there are no tools or the syntax has no JSON
// call shape (the message says what to do).
Result<std::string> forced_tool_gbnf(const tmpl::OutputSyntax& syntax, const api::Json& tools,
                                     const ForcedToolOptions& options);

}  // namespace cria::server
