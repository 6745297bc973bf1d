// Forced tool calls: the grammar of each tool-call syntax accepts exactly a call of one of
// the given tools with arguments that follow its schema, in the model's own syntax, and what
// it accepts parses back into that call with the syntax's output parser.
#include <gtest/gtest.h>

#include "sampler/grammar.h"
#include "sampler/grammar_matcher.h"
#include "server/tool_grammar.h"
#include "template/output_parser.h"

namespace cria::server {
namespace {

using api::Json;
using tmpl::ToolSyntax;

const Json kTools = Json::parse(R"([
  {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"]}}},
  {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object",
    "properties": {"zone": {"enum": ["utc", "local"]}}, "required": ["zone"]}}}
])");

std::shared_ptr<const Grammar> grammar_for(ToolSyntax tools, const ForcedToolOptions& o = {},
                                           const Json& list = kTools) {
  tmpl::OutputSyntax syntax;
  syntax.tools = tools;
  auto text = forced_tool_gbnf(syntax, list, o);
  EXPECT_TRUE(text.ok()) << text.error().message;
  if (!text.ok()) return nullptr;
  auto g = Grammar::parse(*text);
  EXPECT_TRUE(g.ok()) << g.error().message << "\n" << *text;
  return g.ok() ? *g : nullptr;
}

// The whole text is accepted and completes the grammar.
bool complete(const std::shared_ptr<const Grammar>& g, std::string_view text) {
  GrammarMatcher m(g);
  return m.accept(text) && m.can_end();
}

// The calls the syntax's own parser finds in `text`.
std::vector<tmpl::ToolCall> parsed_calls(ToolSyntax tools, std::string_view text) {
  tmpl::OutputSyntax syntax;
  syntax.tools = tools;
  tmpl::ParserOptions o;
  o.has_tools = true;
  o.id_seed = 1;
  auto parser = tmpl::make_output_parser(syntax, o);
  tmpl::ParsedOutput out = parser->push(text);
  out.append(parser->finish());
  EXPECT_EQ(out.content, "") << text;
  return out.tool_calls;
}

TEST(ForcedToolGrammar, HermesAcceptsOnlyCallsOfTheTools) {
  auto g = grammar_for(ToolSyntax::kHermes);
  ASSERT_TRUE(g);
  const std::string call =
      "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": "
      "3}}\n</tool_call>";
  EXPECT_TRUE(complete(g, call));
  EXPECT_TRUE(complete(
      g, "<tool_call>\n{\"name\":\"get_time\",\"arguments\":{\"zone\":\"utc\"}}\n</tool_call>"));
  EXPECT_FALSE(complete(g, "Sure! " + call));  // no text before the call
  EXPECT_FALSE(complete(
      g, "<tool_call>\n{\"name\": \"rm_rf\", \"arguments\": {}}\n</tool_call>"));  // unknown tool
  EXPECT_FALSE(complete(g,
                        "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": "
                        "\"mars\"}}\n</tool_call>"));  // not in the enum
  EXPECT_FALSE(complete(g,
                        "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": "
                        "\"Paris\"}}\n</tool_call>"));  // days is required
  auto calls = parsed_calls(ToolSyntax::kHermes, call);
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].name, "get_weather");
  EXPECT_EQ(calls[0].arguments, Json::parse(R"({"city": "Paris", "days": 3})"));
}

TEST(ForcedToolGrammar, LlamaMistralAndGraniteShapes) {
  auto llama = grammar_for(ToolSyntax::kLlamaJson);
  const std::string llama_call = R"({"name": "get_time", "parameters": {"zone": "local"}})";
  EXPECT_TRUE(complete(llama, llama_call));
  EXPECT_FALSE(complete(llama, R"({"name": "get_time", "arguments": {"zone": "local"}})"));
  ASSERT_EQ(parsed_calls(ToolSyntax::kLlamaJson, llama_call).size(), 1u);

  auto mistral = grammar_for(ToolSyntax::kMistral);
  const std::string mistral_calls =
      R"([TOOL_CALLS][{"name": "get_time", "arguments": {"zone": "utc"}}, )"
      R"({"name": "get_weather", "arguments": {"city": "Oslo", "days": 1}}])";
  EXPECT_TRUE(complete(mistral, mistral_calls));
  EXPECT_FALSE(complete(mistral, "[TOOL_CALLS][]"));  // at least one call
  auto calls = parsed_calls(ToolSyntax::kMistral, mistral_calls);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].name, "get_weather");

  auto granite = grammar_for(ToolSyntax::kGranite);
  EXPECT_TRUE(
      complete(granite, R"(<|tool_call|>[{"name": "get_time", "arguments": {"zone": "utc"}}])"));
}

TEST(ForcedToolGrammar, ThinkingMayComeFirst) {
  ForcedToolOptions o;
  o.may_think = true;
  auto g = grammar_for(ToolSyntax::kHermes, o);
  const std::string call =
      "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"zone\": \"utc\"}}\n</tool_call>";
  EXPECT_TRUE(complete(g, call));
  EXPECT_TRUE(complete(g, "<think>\nThe user wants the time.\n</think>\n\n" + call));
  o.prompt_in_think = true;  // the prompt opened <think>: it must be closed first
  auto in_think = grammar_for(ToolSyntax::kHermes, o);
  EXPECT_TRUE(complete(in_think, "Time, in UTC.</think>\n" + call));
  EXPECT_FALSE(complete(in_think, call));
}

TEST(ForcedToolGrammar, SchemasTheGrammarCannotUseTakeAnyObject) {
  const Json tools = Json::parse(R"([{"type": "function", "function": {"name": "f",
    "parameters": {"type": "object", "not": {"required": ["x"]}}}},
    {"type": "function", "function": {"name": "g"}}])");
  auto g = grammar_for(ToolSyntax::kHermes, {}, tools);
  EXPECT_TRUE(
      complete(g, "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": [1]}}\n</tool_call>"));
  EXPECT_TRUE(complete(g, "<tool_call>\n{\"name\": \"g\", \"arguments\": {}}\n</tool_call>"));
}

TEST(ForcedToolGrammar, SyntaxesWithoutAJsonCallAreRefused) {
  for (ToolSyntax s : {ToolSyntax::kNone, ToolSyntax::kDeepseek, ToolSyntax::kHarmony}) {
    tmpl::OutputSyntax syntax;
    syntax.tools = s;
    auto r = forced_tool_gbnf(syntax, kTools, {});
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("tool_choice \"auto\""), std::string::npos);
  }
  tmpl::OutputSyntax hermes;
  hermes.tools = ToolSyntax::kHermes;
  EXPECT_FALSE(forced_tool_gbnf(hermes, Json::array(), {}).ok());
}

}  // namespace
}  // namespace cria::server
