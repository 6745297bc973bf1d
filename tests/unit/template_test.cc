// The Go text/template engine, the chat rendering and the template choice.
#include <string>

#include <gtest/gtest.h>

#include "template/chat.h"
#include "template/library.h"
#include "template/template.h"

namespace cria::tmpl {
namespace {

std::string run(const std::string& text, const Json& data = Json::object()) {
  auto t = Template::parse(text);
  if (!t.ok()) return "PARSE ERROR: " + t.error().message;
  ExecOptions o;
  o.today = Date{2026, 3, 1};
  auto r = t->execute(data, o);
  if (!r.ok()) return "EXEC ERROR: " + r.error().message;
  return *r;
}

TEST(TemplateEngine, TextAndTrimming) {
  EXPECT_EQ(run("a  {{- \"b\" -}}  \n c"), "abc");
  EXPECT_EQ(run("a {{ \"b\" }} c"), "a b c");
  EXPECT_EQ(run("a {{- /* note */ -}} b"), "ab");
  EXPECT_EQ(run("a{{/* x */}}b"), "ab");
  EXPECT_EQ(run("{{-3}}"), "-3");
  EXPECT_EQ(run("{{ `raw\\n` }}|{{ \"esc\\n\\t\\u00e9\" }}"), "raw\\n|esc\n\t\xC3\xA9");
}

TEST(TemplateEngine, FieldsAndSnakeCase) {
  Json d = {{"Messages", Json::array({{{"role", "user"}, {"tool_call_id", "x1"}}})},
            {"A", {{"b", {{"c", 7}}}}}};
  EXPECT_EQ(run("{{ range .Messages }}{{ .Role }} {{ .ToolCallID }}{{ end }}", d), "user x1");
  EXPECT_EQ(run("{{ .A.B.C }} {{ (.A).B.C }} {{ .Missing }}", d), "7 7 <no value>");
  EXPECT_EQ(run("{{ .A.B.C.D }}", d).rfind("EXEC ERROR", 0), 0u);
}

TEST(TemplateEngine, IfElseAndTruthiness) {
  const char* t = "{{ if . }}T{{ else }}F{{ end }}";
  EXPECT_EQ(run(t, Json::object()), "F");
  EXPECT_EQ(run(t, Json::array()), "F");
  EXPECT_EQ(run(t, ""), "F");
  EXPECT_EQ(run(t, 0), "F");
  EXPECT_EQ(run(t, 0.0), "F");
  EXPECT_EQ(run(t, nullptr), "F");
  EXPECT_EQ(run(t, false), "F");
  EXPECT_EQ(run(t, Json::array({0})), "T");
  EXPECT_EQ(run(t, "x"), "T");
  EXPECT_EQ(run(t, {{"a", 1}}), "T");
  EXPECT_EQ(run("{{ if eq . 1 }}a{{ else if eq . 2 }}b{{ else }}c{{ end }}", 2), "b");
  EXPECT_EQ(run("{{ with .x }}{{ . }}{{ else }}none{{ end }}", {{"x", "v"}}), "v");
  EXPECT_EQ(run("{{ with .x }}{{ . }}{{ else }}none{{ end }}", {{"x", ""}}), "none");
}

TEST(TemplateEngine, RangeForms) {
  Json d = {{"l", {"a", "b", "c"}}, {"m", {{"z", 1}, {"a", 2}}}, {"e", Json::array()}};
  EXPECT_EQ(run("{{ range .l }}{{ . }}{{ end }}", d), "abc");
  EXPECT_EQ(run("{{ range $i, $v := .l }}{{ $i }}={{ $v }},{{ end }}", d), "0=a,1=b,2=c,");
  EXPECT_EQ(run("{{ range $k, $v := .m }}{{ $k }}{{ $v }}{{ end }}", d), "z1a2");  // data order
  EXPECT_EQ(run("{{ range .e }}x{{ else }}empty{{ end }}", d), "empty");
  EXPECT_EQ(run("{{ range .l }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}", d), "a");
  EXPECT_EQ(run("{{ range .l }}{{ if eq . \"b\" }}{{ continue }}{{ end }}{{ . }}{{ end }}", d),
            "ac");
  EXPECT_EQ(run("{{ range 3 }}{{ . }}{{ end }}"), "012");
}

TEST(TemplateEngine, VariableScoping) {
  EXPECT_EQ(run("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ $y := 3 }}{{ end }}{{ $x }}"), "2");
  EXPECT_EQ(run("{{ if true }}{{ $y := 3 }}{{ end }}{{ $y }}").rfind("PARSE ERROR", 0), 0u);
  EXPECT_EQ(run("{{ $n := 0 }}{{ range .l }}{{ $n = . }}{{ end }}{{ $n }}", {{"l", {1, 5}}}), "5");
  EXPECT_EQ(run("{{ range .l }}{{ $.top }}{{ end }}", {{"l", {1, 2}}, {"top", "T"}}), "TT");
}

TEST(TemplateEngine, Comparisons) {
  EXPECT_EQ(run("{{ eq 1 1.0 }} {{ lt 1 1.5 }} {{ ge 2.0 2 }} {{ ne 1 2 }}"),
            "true true true true");
  EXPECT_EQ(run("{{ eq \"a\" \"b\" \"a\" }} {{ lt \"a\" \"b\" }}"), "true true");
  EXPECT_EQ(run("{{ eq .x nil }}", {{"x", nullptr}}), "true");
  EXPECT_EQ(run("{{ eq 1 \"1\" }}").rfind("EXEC ERROR", 0), 0u);
  EXPECT_EQ(run("{{ and 1 0 2 }} {{ or 0 \"\" 3 }} {{ not 0 }}"), "0 3 true");
  // and/or stop at the first decisive argument: the index error is never evaluated.
  EXPECT_EQ(run("{{ or 1 (index .l 9) }}", {{"l", Json::array()}}), "1");
}

TEST(TemplateEngine, Printf) {
  Json d = {{"s", "hi"}, {"n", 42}, {"f", 1.5}, {"o", {{"a", 1}}}};
  EXPECT_EQ(run("{{ printf \"%s|%d|%v|%q\" .s .n .f .s }}", d), "hi|42|1.5|\"hi\"");
  EXPECT_EQ(run("{{ printf \"%5d|%-4s|%05d|%.2f|%x|%%\" 3 \"ab\" 42 3.14159 255 }}"),
            "    3|ab  |00042|3.14|ff|%");
  EXPECT_EQ(run("{{ printf \"%d\" \"x\" }}"), "%!d(string=x)");
  EXPECT_EQ(run("{{ printf \"%s %s\" \"a\" }}"), "a %!s(MISSING)");
  EXPECT_EQ(run("{{ printf \"%v\" .o }}", d), "{\"a\":1}");
  EXPECT_EQ(run("{{ print 1 2 \"a\" \"b\" 3 }}|{{ println 1 \"a\" }}"), "1 2ab3|1 a\n");
  EXPECT_EQ(run("{{ printf \"%v %v\" 1000000.0 0.5 }}"), "1e+06 0.5");
  EXPECT_EQ(run("{{ printf \"%q\" \"a\\\"b\\n\" }}"), "\"a\\\"b\\n\"");
}

TEST(TemplateEngine, JsonAndEscapers) {
  Json d = {{"v", {{"b", "<a&b>"}, {"a", {1, 2.5, true, nullptr}}, {"u", "\xC3\xA9\n"}}}};
  EXPECT_EQ(run("{{ json .v }}", d),
            "{\"b\":\"\\u003ca\\u0026b\\u003e\",\"a\":[1,2.5,true,null],\"u\":\"\xC3\xA9\\n\"}");
  EXPECT_EQ(run("{{ pyjson .v }}", d),
            "{\"b\": \"<a&b>\", \"a\": [1, 2.5, true, null], \"u\": \"\xC3\xA9\\n\"}");
  EXPECT_EQ(run("{{ pyjsonIndent 2 .v.a }}", d), "[\n  1,\n  2.5,\n  true,\n  null\n]");
  EXPECT_EQ(run("{{ html \"<a href='x'>&\" }}"), "&lt;a href=&#39;x&#39;&gt;&amp;");
  EXPECT_EQ(run("{{ urlquery \"a b&c\" }}"), "a+b%26c");
  EXPECT_EQ(run("{{ js \"a'b<\" }}"), "a\\'b\\u003C");
  EXPECT_EQ(run("{{ json 1e21 }} {{ json 18.0 }}"), "1e+21 18");
}

TEST(TemplateEngine, IndexSliceLen) {
  Json d = {{"l", {10, 20, 30}}, {"m", {{"k", "v"}}}, {"s", "hello"}};
  EXPECT_EQ(run("{{ index .l 1 }} {{ index .m \"k\" }} {{ len .l }} {{ len .s }}", d), "20 v 3 5");
  EXPECT_EQ(run("{{ slice .s 1 3 }} {{ slice .l 1 }} {{ len (slice .l 0 0) }}", d), "el [20,30] 0");
  std::string err = run("{{ index .l 5 }}", d);
  EXPECT_NE(err.find("index out of range: 5"), std::string::npos) << err;
  EXPECT_NE(err.find("1:4"), std::string::npos) << err;
}

TEST(TemplateEngine, ErrorsNameLineAndColumn) {
  std::string e = run("line one\n{{ if .x }}\n{{ nosuch 1 }}\n{{ end }}");
  EXPECT_NE(e.find("3:4"), std::string::npos) << e;
  EXPECT_NE(e.find("\"nosuch\" not defined"), std::string::npos) << e;
  e = run("a\nb {{ if .x }}");
  EXPECT_NE(e.find("2:3"), std::string::npos) << e;
  EXPECT_NE(e.find("missing {{end}}"), std::string::npos) << e;
  EXPECT_NE(run("{{ \"unterminated }}").find("unterminated"), std::string::npos);
  EXPECT_NE(run("{{ end }}").find("unexpected {{end}}"), std::string::npos);
  EXPECT_NE(run("{{ break }}").find("outside {{range}}"), std::string::npos);
  EXPECT_NE(run("{{ .x 1 }}").find("can't give argument"), std::string::npos);
}

TEST(TemplateEngine, DefineTemplateBlockAndLimits) {
  EXPECT_EQ(run("{{ define \"t\" }}<{{ . }}>{{ end }}{{ template \"t\" 5 }}"), "<5>");
  EXPECT_EQ(run("{{ block \"b\" .x }}[{{ . }}]{{ end }}", {{"x", 1}}), "[1]");
  std::string e = run("{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" 1 }}");
  EXPECT_NE(e.find("nested more than"), std::string::npos) << e;
  auto t = Template::parse("{{ range 1000000 }}xxxxxxxxxx{{ end }}");
  ASSERT_TRUE(t.ok());
  ExecOptions o;
  o.max_output = 1000;
  auto r = t->execute(Json::object(), o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("output exceeds"), std::string::npos);
}

TEST(TemplateEngine, OllamaFunctions) {
  EXPECT_EQ(run("{{ currentDate }} {{ yesterdayDate }} {{ currentDate \"02 Jan 2006\" }}"),
            "2026-03-01 2026-02-28 01 Mar 2026");
  Json p = {{"p", {{"type", Json::array({"string", "null"})}}}, {"q", {{"type", "integer"}}}};
  EXPECT_EQ(run("{{ toTypeScriptType .p }} {{ toTypeScriptType .q }}", p), "string | null number");
  EXPECT_EQ(
      run("{{ trim \"  a \" }}|{{ trimLeft \"\\n\" \"\\n\\nb\" }}|{{ contains \"b\" \"abc\" }}|"
          "{{ replace \"a\" \"x\" \"banana\" }}"),
      "a|b|true|bxnxnx");
}

TEST(TemplateEngine, IdentifiersAndResponseCut) {
  auto t = Template::parse("{{ .System }}{{ range $.Messages }}{{ end }}");
  ASSERT_TRUE(t.ok());
  EXPECT_TRUE(t->mentions("messages"));
  EXPECT_TRUE(t->mentions("system"));
  auto legacy = Template::parse("[{{ .Prompt }}]{{ .Response }}</s>");
  ASSERT_TRUE(legacy.ok());
  auto cut = legacy->cut_after_response().execute({{"Prompt", "p"}, {"Response", "r"}});
  ASSERT_TRUE(cut.ok());
  EXPECT_EQ(*cut, "[p]r");
}

Message msg(std::string role, std::string content) {
  Message m;
  m.role = std::move(role);
  m.content = std::move(content);
  return m;
}

TEST(TemplateChat, MessagesTemplateGetsCollatedMessages) {
  auto t = Template::parse(
      "{{ .System }}|{{ range .Messages }}{{ .Role }}:{{ .Content }};{{ end }}|{{ .Think }}");
  ASSERT_TRUE(t.ok());
  ChatInput chat;
  chat.messages = {msg("system", "s1"), msg("system", "s2"), msg("user", "a"),
                   msg("user", "b"),    msg("tool", "t1"),   msg("tool", "t2")};
  auto r = render_chat(*t, chat);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "s1\n\ns2|system:s1\n\ns2;user:a\n\nb;tool:t1;tool:t2;|false");
}

TEST(TemplateChat, LegacyTemplateRunsPerTurn) {
  auto t = Template::parse("{{ if .System }}S:{{ .System }} {{ end }}U:{{ .Prompt }} A:");
  ASSERT_TRUE(t.ok());
  ChatInput chat;
  chat.messages = {msg("system", "sys"), msg("user", "u1"), msg("assistant", "a1"),
                   msg("user", "u2")};
  auto r = render_chat(*t, chat);
  ASSERT_TRUE(r.ok()) << r.error().message;
  // {{ .Response }} is appended to templates without it; the last turn has an empty response.
  EXPECT_EQ(*r, "S:sys U:u1 A:a1U:u2 A:");
}

TEST(TemplateChat, TruncationKeepsSystemAndLatest) {
  auto t = Template::parse("{{ range .Messages }}[{{ .Content }}]{{ end }}");
  ASSERT_TRUE(t.ok());
  ChatInput chat;
  chat.messages = {msg("system", "S"), msg("user", "1"), msg("assistant", "2"), msg("user", "3")};
  TokenCounter count = [](const std::string& s) -> Result<int64_t> {
    return static_cast<int64_t>(s.size());
  };
  auto r = chat_prompt(*t, chat, 9, count);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->prompt, "[S][2][3]");
  r = chat_prompt(*t, chat, 1, count);  // nothing fits: the latest message is always kept
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->prompt, "[S][3]");
  r = chat_prompt(*t, chat, 1, count, /*truncate=*/false);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->prompt, "[S][1][2][3]");
}

TEST(TemplateChat, Generate) {
  auto fim = Template::parse("<PRE>{{ .Prompt }}<SUF>{{ .Suffix }}<MID>");
  ASSERT_TRUE(fim.ok());
  GenerateInput in;
  in.prompt = "def f(";
  in.suffix = "return 1";
  auto r = render_generate(*fim, in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "<PRE>def f(<SUF>return 1<MID>");
  auto chatml = Template::parse(find_builtin("chatml")->text);
  ASSERT_TRUE(chatml.ok());
  in.suffix.clear();
  in.system = "S";
  in.prompt = "hi";
  r = render_generate(*chatml, in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r,
            "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nhi<|im_end|>\n"
            "<|im_start|>assistant\n");
}

TEST(TemplateLibrary, EveryBuiltinParsesAndRenders) {
  ChatInput chat;
  chat.messages = {msg("system", "S"), msg("user", "U"), msg("assistant", "A")};
  for (const auto& b : builtin_templates()) {
    SCOPED_TRACE(std::string(b.name));
    auto t = Template::parse(b.text);
    ASSERT_TRUE(t.ok()) << t.error().message;
    auto r = render_chat(*t, chat);
    ASSERT_TRUE(r.ok()) << r.error().message;
    if (b.name != "default") {
      // A last assistant message is left open for the model to continue.
      EXPECT_EQ(r->substr(r->size() - 1), "A");
    }
  }
}

TEST(TemplateLibrary, UnknownTemplateFallsBack) {
  TemplateChoice c = pick_template("{{ messages }} something new");
  EXPECT_TRUE(c.fallback);
  EXPECT_EQ(c.name, "default");
  EXPECT_EQ(pick_template("{{'<|im_start|>' + m.role}}").name, "chatml");
}

}  // namespace
}  // namespace cria::tmpl
