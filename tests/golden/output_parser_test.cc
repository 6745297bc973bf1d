// Golden outputs of each model family, parsed into content, thinking and tool calls. Every
// text is parsed whole, one byte at a time and in 3-byte pieces: the results must be identical.
#include <gtest/gtest.h>

#include "template/library.h"
#include "template/output_parser.h"

namespace cria::tmpl {
namespace {

struct Parsed {
  std::string content;
  std::string thinking;
  Json calls = Json::array();
  bool operator==(const Parsed&) const = default;
};

void add(Parsed& p, ParsedOutput&& o) {
  p.content += o.content;
  p.thinking += o.thinking;
  for (const auto& c : o.tool_calls)
    p.calls.push_back(
        {{"id", c.id}, {"index", c.index}, {"name", c.name}, {"arguments", c.arguments}});
}

Parsed feed(const OutputSyntax& s, const ParserOptions& o, std::string_view text, size_t step) {
  auto parser = make_output_parser(s, o);
  Parsed p;
  for (size_t i = 0; i < text.size(); i += step) add(p, parser->push(text.substr(i, step)));
  add(p, parser->finish());
  return p;
}

ParserOptions options(bool tools, uint64_t seed, Think think = {}, bool in_thinking = false) {
  ParserOptions o;
  o.has_tools = tools;
  o.think = think;
  o.starts_in_thinking = in_thinking;
  o.id_seed = seed;
  return o;
}

struct Case {
  Case(OutputSyntax s, bool t = true, Think th = {}, bool in = false)
      : syntax(s), tools(t), think(th), in_thinking(in) {}
  OutputSyntax syntax;
  bool tools;
  Think think;
  bool in_thinking;
};

Parsed parse(const Case& c, std::string_view text) {
  ParserOptions o = options(c.tools, 42, c.think, c.in_thinking);
  Parsed whole = feed(c.syntax, o, text, text.size() + 1);
  EXPECT_EQ(feed(c.syntax, o, text, 1), whole) << text;
  EXPECT_EQ(feed(c.syntax, o, text, 3), whole) << text;
  return whole;
}

Json call(std::string_view name, Json args) {
  return Json{{"name", name}, {"arguments", std::move(args)}};
}

// The calls without their generated ids (checked apart), with their index.
Json without_ids(Json calls) {
  int i = 0;
  for (auto& c : calls) {
    EXPECT_EQ(c["index"], i++);
    c.erase("index");
    const std::string id = c["id"];
    EXPECT_EQ(id.size(), 13u) << id;
    EXPECT_TRUE(id.starts_with("call_")) << id;
    EXPECT_EQ(id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789", 5), std::string::npos);
    c.erase("id");
  }
  return calls;
}

const OutputSyntax kHermes{ToolSyntax::kHermes, false};
const OutputSyntax kQwen3{ToolSyntax::kHermes, true};

TEST(OutputParser, HermesContentAndSeveralCalls) {
  Parsed p = parse({kHermes}, R"(I'll look both up.
<tool_call>
{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}
</tool_call>
<tool_call>
{"name": "get_time", "arguments": {"tz": "Europe/Paris"}}
</tool_call>)");
  EXPECT_EQ(p.content, "I'll look both up.");
  EXPECT_EQ(p.thinking, "");
  EXPECT_EQ(without_ids(p.calls),
            Json::array({call("get_weather", {{"city", "Paris"}, {"unit", "celsius"}}),
                         call("get_time", {{"tz", "Europe/Paris"}})}));
  EXPECT_NE(p.calls[0]["id"], p.calls[1]["id"]);
}

TEST(OutputParser, HermesTextAfterCallAndPlainAnswers) {
  Parsed p = parse({kHermes},
                   "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>\n\n"
                   "Waiting for the result.\n");
  EXPECT_EQ(p.content, "Waiting for the result.\n");
  EXPECT_EQ(without_ids(p.calls), Json::array({call("f", Json::object())}));
  // Text without calls is untouched, whitespace and lone '<' included.
  const char* plain = "  a < b, and <tool is not a tag\n\n";
  EXPECT_EQ(parse({kHermes}, plain).content, plain);
  // No tools in the request: nothing is parsed.
  const char* tagged = "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call>";
  Parsed off = parse({kHermes, false}, tagged);
  EXPECT_EQ(off.content, tagged);
  EXPECT_TRUE(off.calls.empty());
}

// Documented: a call whose JSON does not parse stays content, tags included; an unterminated
// call is a call when its JSON is complete, content otherwise.
TEST(OutputParser, HermesMalformedAndUnterminated) {
  const char* bad = "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": }\n</tool_call>";
  Parsed p = parse({kHermes}, std::string("Sure. ") + bad + " Done.");
  EXPECT_EQ(p.content, std::string("Sure. ") + bad + " Done.");
  EXPECT_TRUE(p.calls.empty());
  Parsed open = parse({kHermes}, "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"x\": 1}}\n");
  EXPECT_EQ(without_ids(open.calls), Json::array({call("f", {{"x", 1}})}));
  EXPECT_EQ(open.content, "");
  Parsed cut = parse({kHermes}, "<tool_call>\n{\"name\": \"f\", \"argu");
  EXPECT_EQ(cut.content, "<tool_call>\n{\"name\": \"f\", \"argu");
  EXPECT_TRUE(cut.calls.empty());
}

TEST(OutputParser, HoldsBackWhatMayBeATag) {
  auto parser = make_output_parser(kHermes, options(true, 1));
  EXPECT_EQ(parser->push("Hello <tool").content, "Hello");
  EXPECT_EQ(parser->push("box> ok").content, " <toolbox> ok");
  EXPECT_EQ(parser->finish().content, "");
}

TEST(OutputParser, Qwen3ThinkingThenCall) {
  Parsed p = parse({kQwen3}, R"(<think>
The user wants the weather in Paris. I should call get_weather.
</think>

<tool_call>
{"name": "get_weather", "arguments": {"city": "Paris"}}
</tool_call>)");
  EXPECT_EQ(p.thinking, "The user wants the weather in Paris. I should call get_weather.");
  EXPECT_EQ(p.content, "");
  EXPECT_EQ(without_ids(p.calls), Json::array({call("get_weather", {{"city", "Paris"}})}));
}

TEST(OutputParser, ThinkingSplitAcrossPieces) {
  auto parser = make_output_parser(kQwen3, options(false, 1));
  Parsed p;
  for (const char* piece : {"  <th", "ink>", "\n", "Two plus", " two.\n", "\n</th", "ink", ">\n",
                            "\n", "It is", " 4.", ""})
    add(p, parser->push(piece));
  add(p, parser->finish());
  EXPECT_EQ(p.thinking, "Two plus two.");
  EXPECT_EQ(p.content, "It is 4.");
  EXPECT_EQ(parse({kQwen3, false}, "<think>a\nb</think>c").thinking, "a\nb");
  // Unterminated thinking stays thinking; an answer without <think> has none.
  EXPECT_EQ(parse({kQwen3, false}, "<think>\nstill going ").thinking, "still going");
  Parsed none = parse({kQwen3, false}, "\nJust an answer with </think> in it");
  EXPECT_EQ(none.content, "\nJust an answer with </think> in it");
  EXPECT_EQ(none.thinking, "");
}

TEST(OutputParser, ThinkFalseHidesThinking) {
  Case c{kQwen3, false, Think::from_bool(false)};
  Parsed p = parse(c, "<think>\nhidden\n</think>\n\nThe answer.");
  EXPECT_EQ(p.thinking, "");
  EXPECT_EQ(p.content, "The answer.");
  EXPECT_EQ(parse(c, "The answer.").content, "The answer.");
  // Think requested: shown; unset for a thinking model: shown too (Ollama).
  EXPECT_EQ(parse({kQwen3, false, Think::from_bool(true)}, "<think>x</think>y").thinking, "x");
}

TEST(OutputParser, DeepseekR1StartsInThinking) {
  EXPECT_TRUE(prompt_opens_thinking("<｜User｜>2+2?<｜Assistant｜><think>\n"));
  EXPECT_FALSE(prompt_opens_thinking("<｜User｜>2+2?<｜Assistant｜><think>\n</think>"));
  Case c{{ToolSyntax::kDeepseek, true}, false, {}, true};
  Parsed p = parse(c, "Okay, 2+2 is basic arithmetic.\n</think>\n\nThe answer is **4**.");
  EXPECT_EQ(p.thinking, "Okay, 2+2 is basic arithmetic.");
  EXPECT_EQ(p.content, "The answer is **4**.");
}

TEST(OutputParser, DeepseekToolCalls) {
  Case c{{ToolSyntax::kDeepseek, true}, true, {}, true};
  Parsed p = parse(c,
                   "Need the weather.\n</think>\n\n<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>"
                   "function<｜tool▁sep｜>get_weather\n```json\n{\"city\": \"Paris\"}\n```"
                   "<｜tool▁call▁end｜>\n<｜tool▁call▁begin｜>function<｜tool▁sep｜>get_time\n"
                   "```json\n{}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
  EXPECT_EQ(p.thinking, "Need the weather.");
  EXPECT_EQ(p.content, "");
  EXPECT_EQ(without_ids(p.calls), Json::array({call("get_weather", {{"city", "Paris"}}),
                                               call("get_time", Json::object())}));
}

const OutputSyntax kLlama{ToolSyntax::kLlamaJson, false};

TEST(OutputParser, Llama31JsonAnswer) {
  Parsed p =
      parse({kLlama}, R"({"name": "get_weather", "parameters": {"city": "San Francisco, CA"}})");
  EXPECT_EQ(p.content, "");
  EXPECT_EQ(without_ids(p.calls),
            Json::array({call("get_weather", {{"city", "San Francisco, CA"}})}));
  Parsed tagged = parse({kLlama},
                        "<|python_tag|>{\"name\": \"a\", \"parameters\": {\"s\": \"}\"}}; "
                        "{\"name\": \"b\", \"arguments\": {}}");
  EXPECT_EQ(without_ids(tagged.calls),
            Json::array({call("a", {{"s", "}"}}), call("b", Json::object())}));
  // Not a call: content as it came.
  for (const char* text : {"The weather is {sunny}.", "{\"answer\": 42}", "\n{\"name\": \"x\""})
    EXPECT_EQ(parse({kLlama}, text).content, text) << text;
}

TEST(OutputParser, MistralToolCalls) {
  OutputSyntax m{ToolSyntax::kMistral, false};
  Parsed p = parse(
      {m},
      R"([TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}, "id": "a1B2c3D4e"}, {"name": "get_time", "arguments": {}}])");
  EXPECT_EQ(p.content, "");
  ASSERT_EQ(p.calls.size(), 2u);
  EXPECT_EQ(p.calls[0]["id"], "a1B2c3D4e");
  EXPECT_EQ(p.calls[0]["name"], "get_weather");
  EXPECT_EQ(p.calls[1]["index"], 1);
  EXPECT_TRUE(p.calls[1]["id"].get<std::string>().starts_with("call_"));
  // The newer name[ARGS]{...} form, several calls.
  Parsed n = parse({m},
                   "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}"
                   "[TOOL_CALLS]get_time[CALL_ID]x9[ARGS]{}");
  ASSERT_EQ(n.calls.size(), 2u);
  EXPECT_EQ(n.calls[0]["arguments"], Json({{"city", "Paris"}}));
  EXPECT_EQ(n.calls[1]["id"], "x9");
  // Malformed JSON after the tag: content.
  Parsed bad = parse({m}, "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {oops}}] then text");
  EXPECT_EQ(bad.content, "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {oops}}] then text");
}

TEST(OutputParser, GraniteToolCalls) {
  OutputSyntax g{ToolSyntax::kGranite, false};
  Parsed p = parse(
      {g},
      R"(<|tool_call|>[{"name": "get_current_weather", "arguments": {"location": "Boston"}}])");
  EXPECT_EQ(p.content, "");
  EXPECT_EQ(without_ids(p.calls),
            Json::array({call("get_current_weather", {{"location", "Boston"}})}));
}

const OutputSyntax kHarmony{ToolSyntax::kHarmony, false};

TEST(OutputParser, HarmonyChannels) {
  Parsed p = parse({kHarmony, false},
                   "<|channel|>analysis<|message|>User greets. Reply politely.<|end|>"
                   "<|start|>assistant<|channel|>final<|message|>Hello! How can I help?");
  EXPECT_EQ(p.thinking, "User greets. Reply politely.");
  EXPECT_EQ(p.content, "Hello! How can I help?");
  Parsed hidden = parse({kHarmony, false, Think::from_bool(false)},
                        "<|channel|>analysis<|message|>x<|end|><|start|>assistant"
                        "<|channel|>final<|message|>y<|return|>");
  EXPECT_EQ(hidden.thinking, "");
  EXPECT_EQ(hidden.content, "y");
  EXPECT_EQ(parse({kHarmony, false}, "plain answer").content, "plain answer");
}

TEST(OutputParser, HarmonyToolCalls) {
  Parsed p = parse({kHarmony},
                   "<|channel|>analysis<|message|>Need weather.<|end|><|start|>assistant"
                   "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>"
                   "{\"location\":\"Tokyo\"}<|call|>");
  EXPECT_EQ(p.thinking, "Need weather.");
  EXPECT_EQ(p.content, "");
  EXPECT_EQ(without_ids(p.calls), Json::array({call("get_weather", {{"location", "Tokyo"}})}));
  Parsed before = parse({kHarmony},
                        " to=functions.lookup<|channel|>commentary json<|message|>"
                        "{\"q\": \"a\"}<|call|>");
  EXPECT_EQ(without_ids(before.calls), Json::array({call("lookup", {{"q", "a"}})}));
}

TEST(OutputParser, SyntaxFromTemplates) {
  EXPECT_EQ(output_syntax("qwen3", ""), kQwen3);
  EXPECT_EQ(output_syntax("gemma", "<think>"), OutputSyntax{});
  EXPECT_EQ(output_syntax("", "{{ .Prompt }}"), OutputSyntax{});
  EXPECT_EQ(output_syntax("", "[AVAILABLE_TOOLS]..[TOOL_CALLS]").tools, ToolSyntax::kMistral);
  EXPECT_EQ(output_syntax("", "{{ if .Thinking }}<think>{{ .Thinking }}</think>{{ end }}"),
            (OutputSyntax{ToolSyntax::kNone, true}));
  // A built-in template's text says the same as its name.
  for (const char* name : {"qwen2.5", "qwen3", "llama3.1", "llama3.2", "mistral", "deepseek-r1",
                           "gpt-oss", "chatml"}) {
    const BuiltinTemplate* b = find_builtin(name);
    ASSERT_NE(b, nullptr) << name;
    EXPECT_EQ(output_syntax("", b->text), output_syntax(name, "")) << name;
  }
}

TEST(OutputParser, GeneratedIdsFollowTheSeed) {
  const char* text = "<tool_call>{\"name\": \"f\", \"arguments\": {}}</tool_call>";
  auto id = [&](uint64_t seed) {
    auto parser = make_output_parser(kHermes, options(true, seed));
    ParsedOutput o = parser->push(text);
    return o.tool_calls.at(0).id;
  };
  EXPECT_EQ(id(7), id(7));
  EXPECT_NE(id(7), id(8));
}

}  // namespace
}  // namespace cria::tmpl
