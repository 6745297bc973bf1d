#include "server/tool_grammar.h"

#include "sampler/json_schema.h"

namespace cria::server {

namespace {

using api::Json;

// A tool's parameters schema when the grammar can use it as a part of a larger one.
Json parameters_schema(const Json& function) {
  const Json any_object = Json{{"type", "object"}};
  auto it = function.find("parameters");
  if (it == function.end() || !it->is_object()) return any_object;
  const std::string text = it->dump();
  // "$ref": "#..." would point into the wrapping schema once embedded.
  if (text.find("\"$ref\"") != std::string::npos) return any_object;
  if (!json_schema_to_gbnf(text).ok()) return any_object;
  return *it;
}

// {"name": <one of the tools>, <arguments_key>: <its parameters>}, as a schema.
Result<Json> call_schema(const Json& tools, const std::string& arguments_key) {
  Json alternatives = Json::array();
  for (const Json& t : tools) {
    const Json* fn = t.is_object() && t.contains("function") ? &t["function"] : nullptr;
    if (!fn || !fn->is_object() || !fn->contains("name") || !(*fn)["name"].is_string()) continue;
    alternatives.push_back(Json{{"type", "object"},
                                {"properties", Json{{"name", Json{{"const", (*fn)["name"]}}},
                                                    {arguments_key, parameters_schema(*fn)}}},
                                {"required", Json::array({"name", arguments_key})}});
  }
  if (alternatives.empty())
    return make_error(Errc::kInvalidArgument, "a tool call is required, but no tool has a name");
  if (alternatives.size() == 1) return alternatives[0];
  return Json{{"anyOf", alternatives}};
}

std::string think_part(const ForcedToolOptions& o) {
  if (!o.may_think && !o.prompt_in_think) return "";
  const std::string body = R"(( [^<] | "<" [^/] )* "</think>" [ \t\n]{0,4} )";
  if (o.prompt_in_think) return body;
  return R"(( "<think>" )" + body + ")? ";
}

}  // namespace

Result<std::string> forced_tool_gbnf(const tmpl::OutputSyntax& syntax, const Json& tools,
                                     const ForcedToolOptions& options) {
  if (!tools.is_array() || tools.empty())
    return make_error(Errc::kInvalidArgument, "a tool call is required, but no tools were given");
  const auto shape = tmpl::tool_call_shape(syntax.tools);
  if (!shape) {
    return make_error(Errc::kInvalidArgument,
                      "this model's template has no tool-call syntax that can be enforced; "
                      "use tool_choice \"auto\"");
  }
  CRIA_ASSIGN_OR_RETURN(Json call, call_schema(tools, shape->arguments_key));
  const Json value = shape->list ? Json{{"type", "array"}, {"items", call}, {"minItems", 1}} : call;
  CRIA_ASSIGN_OR_RETURN(std::string rules, json_schema_to_gbnf(value.dump(), "tool-call"));
  std::string root = "root ::= " + think_part(options);
  if (!shape->open.empty()) root += gbnf_literal(shape->open) + " ";
  root += "tool-call";
  if (!shape->close.empty()) root += " " + gbnf_literal(shape->close);
  return root + "\n" + rules;
}

}  // namespace cria::server
