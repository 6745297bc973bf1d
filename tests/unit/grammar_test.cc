// Grammar parsing, the matcher (tokens spanning elements, partial UTF-8), JSON schema
// conversion, and a property test: random vocabularies and logits, every constrained
// generation parses as JSON and validates against its schema.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "sampler/grammar.h"
#include "sampler/grammar_matcher.h"
#include "sampler/grammar_sampler.h"
#include "sampler/json_schema.h"
#include "sampler/sampler.h"
#include "support/json_schema_check.h"

namespace cria {
namespace {

using Json = nlohmann::ordered_json;

std::shared_ptr<const Grammar> compile(std::string_view text) {
  auto g = Grammar::parse(text);
  EXPECT_TRUE(g.ok()) << g.error().message;
  return g.ok() ? *g : nullptr;
}

std::string parse_error(std::string_view text) {
  auto g = Grammar::parse(text);
  return g.ok() ? "" : g.error().message;
}

bool matches(const std::shared_ptr<const Grammar>& g, std::string_view s) {
  GrammarMatcher m(g);
  return m.accept(s) && m.can_end();
}

TEST(GrammarParse, ErrorsNameTheProblem) {
  EXPECT_NE(parse_error("root ::= foo").find("\"foo\" is used but not defined"), std::string::npos);
  EXPECT_NE(parse_error("a ::= \"x\"").find("no \"root\" rule"), std::string::npos);
  EXPECT_NE(parse_error("root ::= \"abc").find("line 1 column 10: unterminated string"),
            std::string::npos);
  EXPECT_NE(parse_error("root ::= \"\\q\"").find("unknown escape"), std::string::npos);
  EXPECT_NE(parse_error("root ::= [a-z").find("unterminated character class"), std::string::npos);
  EXPECT_NE(parse_error("root ::= \"a\"{3,1}").find("n < m"), std::string::npos);
  EXPECT_NE(parse_error("root ::= root \"a\" | \"b\"").find("left-recursive"), std::string::npos);
  EXPECT_NE(parse_error("root ::= (\"a\"?)*").find("left-recursive"), std::string::npos);
  EXPECT_NE(parse_error("root ::= \"a\"\nroot ::= \"b\"").find("defined twice"), std::string::npos);
  EXPECT_NE(parse_error("root ::= ( \"a\"").find("expected )"), std::string::npos);
  EXPECT_NE(parse_error("root = \"a\"").find("expected ::="), std::string::npos);
}

TEST(GrammarMatcher, MatchesStrings) {
  auto g = compile(R"(
    # a comment
    root ::= greeting ( ", " name )? "!"
    greeting ::= "hi" | "hello"
    name ::= [A-Z] [a-z]{1,3}
  )");
  EXPECT_TRUE(matches(g, "hi!"));
  EXPECT_TRUE(matches(g, "hello, Bob!"));
  EXPECT_TRUE(matches(g, "hi, Anna!"));
  EXPECT_FALSE(matches(g, "hi, Annabel!"));
  EXPECT_FALSE(matches(g, "hi, bob!"));
  EXPECT_FALSE(matches(g, "hey!"));
  EXPECT_FALSE(matches(g, "hi"));  // accepted as a prefix, not complete
  GrammarMatcher m(g);
  EXPECT_TRUE(m.accepts("hel"));
  EXPECT_FALSE(m.accepts("hex"));
  EXPECT_FALSE(m.accept("hx"));
  EXPECT_TRUE(m.accept("hi"));  // the failed accept left the state alone
  EXPECT_FALSE(m.can_end());
  EXPECT_TRUE(m.accept("!"));
  EXPECT_TRUE(m.done());
}

TEST(GrammarMatcher, OperatorsClassesAndEscapes) {
  auto g = compile(R"(root ::= [^a-c\n]+ "-" [0-9]{2,} "\x41\u00e9" . "\"" x*
                      x ::= "x")");
  EXPECT_TRUE(matches(g, "zz-12Aé?\""));
  EXPECT_TRUE(matches(g, "d-123Aé\xe2\x82\xac\"xxx"));
  EXPECT_FALSE(matches(g, "a-12Aé?\""));
  EXPECT_FALSE(matches(g, "d-1Aé?\""));
  GrammarMatcher m(g);
  EXPECT_TRUE(m.accept("d-12Aé!\""));
  EXPECT_TRUE(m.can_end());
  EXPECT_FALSE(m.done());  // x* may continue
}

TEST(GrammarMatcher, TokensSpanElementsAndSplitUtf8) {
  auto g = compile(R"(root ::= "ab" num "c" "é" word
                      num ::= [0-9]+
                      word ::= "ok" | "no")");
  GrammarMatcher m(g);
  EXPECT_TRUE(m.accept("a"));
  EXPECT_TRUE(m.accept("b12"));     // the end of a literal and a repetition
  EXPECT_TRUE(m.accept("3c\xC3"));  // a digit, a literal, half of "é"
  EXPECT_FALSE(m.can_end());
  EXPECT_FALSE(m.accepts("\xA8"));  // completes "è": wrong character
  EXPECT_FALSE(m.accepts("o"));     // not a continuation byte
  EXPECT_TRUE(m.accepts("\xA9o"));
  EXPECT_TRUE(m.accept("\xA9"));
  EXPECT_TRUE(m.accept("ok"));
  EXPECT_TRUE(m.done());

  // A lead byte no allowed character starts with is refused at once.
  GrammarMatcher ascii(compile(R"(root ::= [a-z]+)"));
  EXPECT_FALSE(ascii.accepts("\xC3"));
  EXPECT_FALSE(ascii.accepts("\xFF"));
  GrammarMatcher any(compile(R"(root ::= [^a])"));
  EXPECT_TRUE(any.accepts("\xF0\x9F"));   // the start of an emoji
  EXPECT_FALSE(any.accepts("\xC0\x80"));  // overlong
}

TEST(GrammarSampler, ResamplesOnlyWhenRejectedAndEndsWhenComplete) {
  auto g = compile(R"(root ::= "yes" | "no")");
  // 0 "y", 1 "es", 2 "no", 3 "x", 4 "" (control), 5 EOG
  std::vector<std::string> pieces = {"y", "es", "no", "x", "", ""};
  std::vector<int32_t> eog = {5};
  GrammarSampler gs(g, GrammarVocab::make(pieces, eog));
  SamplerOptions o;
  o.temperature = 0.0f;
  Sampler s = *Sampler::create(o, 6);
  std::vector<float> logits = {0, 0, 0, 10, 9, 8};  // greedy picks "x", then the control, EOG
  EXPECT_FALSE(gs.allowed(3));
  EXPECT_FALSE(gs.allowed(4));
  EXPECT_FALSE(gs.allowed(5));
  auto t = gs.sample(s, logits);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(*t, 0);  // ties among the allowed: the lowest id
  ASSERT_TRUE(gs.accept(0));
  EXPECT_FALSE(gs.accept(2));
  t = gs.sample(s, logits);
  EXPECT_EQ(*t, 1);
  ASSERT_TRUE(gs.accept(1));
  EXPECT_TRUE(gs.done());
  EXPECT_TRUE(gs.allowed(5));
}

TEST(GrammarSampler, NoAllowedTokenIsAnError) {
  GrammarSampler gs(compile(R"(root ::= "z")"), GrammarVocab::make({"a", "b"}, {}));
  Sampler s = *Sampler::create(SamplerOptions{}, 2);
  std::vector<float> logits = {1, 2};
  auto t = gs.sample(s, logits);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("allows no token"), std::string::npos);
}

// ---- JSON schemas ----

std::shared_ptr<const Grammar> schema_grammar(const Json& schema) {
  auto g = json_schema_grammar(schema.dump());
  EXPECT_TRUE(g.ok()) << g.error().message;
  return g.ok() ? *g : nullptr;
}

TEST(JsonSchema, JsonFormatIsAnObject) {
  auto g = *json_object_grammar();
  EXPECT_TRUE(matches(g, R"({"a": [1, -2.5e3, "x\n\u00e9"], "b": {"c": null, "d": true}})"));
  EXPECT_TRUE(matches(g, "{\n  \"a\": 1\n}"));
  EXPECT_TRUE(matches(g, "{}"));
  EXPECT_FALSE(matches(g, "[1]"));
  EXPECT_FALSE(matches(g, " {}"));
  EXPECT_FALSE(matches(g, R"({"a": 01})"));
  EXPECT_FALSE(matches(g, R"({"a": "\ud800"})"));  // lone surrogate escapes
  EXPECT_FALSE(matches(g, "{\"a\":      1}"));     // more than one space
  EXPECT_FALSE(matches(g, "{\"a\": \"x\ty\"}"));   // raw control character
}

TEST(JsonSchema, FlatObjectInOrderWithOptional) {
  auto g = schema_grammar(Json::parse(R"({"type": "object",
      "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                     "ok": {"type": "boolean"}},
      "required": ["name", "ok"]})"));
  EXPECT_TRUE(matches(g, R"({"name": "Al", "age": 3, "ok": true})"));
  EXPECT_TRUE(matches(g, R"({"name":"Al","ok":false})"));
  EXPECT_FALSE(matches(g, R"({"age": 3, "name": "Al", "ok": true})"));  // order
  EXPECT_FALSE(matches(g, R"({"name": "Al"})"));                        // required
  EXPECT_FALSE(matches(g, R"({"name": "Al", "ok": true, "x": 1})"));    // extra
  EXPECT_FALSE(matches(g, R"({"name": "Al", "age": 3.5, "ok": true})"));
}

TEST(JsonSchema, AllOptionalAndNestedObjects) {
  auto g = schema_grammar(Json::parse(R"({"type": "object", "properties": {
      "a": {"type": "number"},
      "b": {"type": "object", "properties": {"c": {"type": "null"}}, "required": ["c"]}}})"));
  EXPECT_TRUE(matches(g, "{}"));
  EXPECT_TRUE(matches(g, R"({"b": {"c": null}})"));
  EXPECT_TRUE(matches(g, R"({"a": 1e5, "b": {"c": null}})"));
  EXPECT_FALSE(matches(g, R"({"a": 1,})"));
  EXPECT_FALSE(matches(g, R"({"b": {}})"));
}

TEST(JsonSchema, ArraysWithBounds) {
  auto g =
      schema_grammar(Json::parse(R"({"type": "array", "items": {"type": "integer"}, "minItems": 2,
                      "maxItems": 3})"));
  EXPECT_FALSE(matches(g, "[1]"));
  EXPECT_TRUE(matches(g, "[1, 2]"));
  EXPECT_TRUE(matches(g, "[1,2,3]"));
  EXPECT_FALSE(matches(g, "[1, 2, 3, 4]"));
  auto any = schema_grammar(Json::parse(R"({"type": "array", "maxItems": 1})"));
  EXPECT_TRUE(matches(any, "[]"));
  EXPECT_TRUE(matches(any, R"([{"x": []}])"));
  EXPECT_FALSE(matches(any, "[1, 2]"));
}

TEST(JsonSchema, EnumsConstAndStringLengths) {
  auto g = schema_grammar(Json::parse(R"({"type": "object", "properties": {
      "color": {"enum": ["red", "green", 3, null]},
      "v": {"const": {"k": [1]}},
      "code": {"type": "string", "minLength": 2, "maxLength": 3}},
      "required": ["color", "v", "code"]})"));
  EXPECT_TRUE(matches(g, R"({"color": "red", "v": {"k":[1]}, "code": "ab"})"));
  EXPECT_TRUE(matches(g, R"({"color": 3, "v": {"k":[1]}, "code": "a\"é"})"));
  EXPECT_TRUE(matches(g, R"({"color": null, "v": {"k":[1]}, "code": "abc"})"));
  EXPECT_FALSE(matches(g, R"({"color": "blue", "v": {"k":[1]}, "code": "ab"})"));
  EXPECT_FALSE(matches(g, R"({"color": "red", "v": {"k":[2]}, "code": "ab"})"));
  EXPECT_FALSE(matches(g, R"({"color": "red", "v": {"k":[1]}, "code": "abcd"})"));
  EXPECT_FALSE(matches(g, R"({"color": "red", "v": {"k":[1]}, "code": "a"})"));
}

TEST(JsonSchema, AnyOfTypeListsAndRefs) {
  auto g = schema_grammar(Json::parse(R"({
      "$defs": {"node": {"type": "object",
                         "properties": {"v": {"type": ["integer", "null"]},
                                        "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
                         "required": ["v"]}},
      "anyOf": [{"$ref": "#/$defs/node"}, {"type": "string", "maxLength": 1},
                {"type": "boolean"}]})"));
  EXPECT_TRUE(matches(g, R"({"v": 1, "kids": [{"v": null}, {"v": 2, "kids": []}]})"));
  EXPECT_TRUE(matches(g, R"("x")"));
  EXPECT_TRUE(matches(g, "false"));
  EXPECT_FALSE(matches(g, R"({"v": "1"})"));
  EXPECT_FALSE(matches(g, R"("xy")"));
  auto defs = schema_grammar(Json::parse(
      R"({"definitions": {"a": {"type": "number"}}, "properties": {"x": {"$ref": "#/definitions/a"}},
          "required": ["x"]})"));
  EXPECT_TRUE(matches(defs, R"({"x": 0.5})"));
}

TEST(JsonSchema, UnsupportedKeywordsAreErrorsOrIgnored) {
  auto err = [](const char* schema) {
    auto g = json_schema_grammar(schema);
    return g.ok() ? std::string() : g.error().message;
  };
  EXPECT_EQ(err(R"({"not": {"type": "string"}})"), "unsupported JSON schema: \"not\" at /");
  EXPECT_NE(err(R"({"properties": {"a": {"allOf": [{}, {}]}}})").find("at /properties/a"),
            std::string::npos);
  EXPECT_NE(err(R"({"$ref": "#/$defs/missing"})").find("\"#/$defs/missing\""), std::string::npos);
  EXPECT_NE(err(R"({"type": "date"})").find("type \"date\""), std::string::npos);
  EXPECT_NE(err(R"({"type": "array", "maxItems": 1, "minItems": 2})").find("maxItems below"),
            std::string::npos);
  EXPECT_NE(err("{"), "");
  // Keywords that only narrow further are ignored.
  auto g = schema_grammar(Json::parse(
      R"({"type": "string", "format": "date-time", "pattern": "^a", "description": "d"})"));
  EXPECT_TRUE(matches(g, R"("anything")"));
}

// ---- property test ----

// Every single byte (so every grammar can go on, as with real byte-fallback or
// byte-level vocabularies), then random multi-character
// tokens from JSON-ish pieces, split multi-byte characters, a control token and EOG.
std::vector<std::string> fake_vocab(std::mt19937& rng) {
  std::vector<std::string> v;
  for (int b = 1; b < 256; ++b) v.emplace_back(1, static_cast<char>(b));
  const std::vector<std::string> parts = {
      "{",       "}",    "[",    "]",     "\"",   ":",    ",",        " ",  "\n  ", "true",
      "false",   "null", "0",    "1",     "42",   "-",    ".",        "e",  "E+",   "name",
      "age",     "tags", "red",  "green", "id",   "kids", "v",        "ok", "\\n",  "\\\"",
      "\\u00e9", "é",    "日本", "\xC3",  "\xA9", "\xE6", "\x97\xA5", "x",  "item", "a b"};
  std::uniform_int_distribution<size_t> pick(0, parts.size() - 1);
  std::uniform_int_distribution<int> len(2, 4);
  for (int i = 0; i < 400; ++i) {
    std::string t;
    for (int k = len(rng); k > 0; --k) t += parts[pick(rng)];
    v.push_back(t);
  }
  v.push_back("");  // a control token: never allowed
  v.push_back("");  // EOG
  return v;
}

// Tokens that close something get a bonus that grows with the length, so that random
// generations finish.
std::vector<float> closing_bonus(const std::vector<std::string>& vocab) {
  std::vector<float> b(vocab.size(), 0.0f);
  for (size_t i = 0; i < vocab.size(); ++i) {
    for (char c : vocab[i]) b[i] += (c == '}' || c == ']' || c == '"') ? 1.0f : 0.0f;
  }
  return b;
}

// mask() walks the vocabulary as a trie; it must keep exactly the tokens allowed() accepts
// one by one.
void expect_mask_matches_allowed(const GrammarSampler& gs, int32_t n_vocab, const std::string& at) {
  std::vector<float> logits(static_cast<size_t>(n_vocab), 0.0f);
  const int32_t kept = gs.mask(logits);
  int32_t allowed = 0;
  for (int32_t t = 0; t < n_vocab; ++t) {
    allowed += gs.allowed(t);
    ASSERT_EQ(gs.allowed(t), std::isfinite(logits[t])) << "token " << t << " after " << at;
  }
  EXPECT_EQ(kept, allowed);
}

void check_generations(const Json& schema, std::shared_ptr<const Grammar> g, int seeds,
                       int checked_seeds = 0) {
  std::mt19937 vocab_rng(7);
  std::vector<std::string> pieces = fake_vocab(vocab_rng);
  const auto n_vocab = static_cast<int32_t>(pieces.size());
  const std::vector<int32_t> eog = {n_vocab - 1};
  auto vocab = GrammarVocab::make(pieces, eog);
  const std::vector<float> bonus = closing_bonus(pieces);
  for (int seed = 0; seed < seeds; ++seed) {
    SamplerOptions o;
    o.temperature = 1.0f;
    o.top_k = 0;
    o.top_p = 1.0f;
    o.seed = seed;
    Sampler sampler = *Sampler::create(o, n_vocab);
    GrammarSampler gs(g, vocab);
    std::mt19937 rng(static_cast<uint32_t>(seed) + 1000);
    std::normal_distribution<float> noise(0.0f, 2.0f);
    std::vector<float> logits(pieces.size());
    std::string out;
    bool ended = false;
    for (int step = 0; step < 4000 && !ended; ++step) {
      if (seed < checked_seeds) expect_mask_matches_allowed(gs, n_vocab, out);
      for (size_t i = 0; i < logits.size(); ++i) logits[i] = noise(rng) + bonus[i] * step / 40.0f;
      auto t = gs.sample(sampler, logits);
      ASSERT_TRUE(t.ok()) << t.error().message << " after " << out;
      ASSERT_TRUE(gs.accept(*t));
      if (*t == eog[0]) break;
      out += pieces[*t];
      ended = gs.done();
    }
    ASSERT_TRUE(gs.matcher().can_end()) << "seed " << seed << ": unfinished " << out;
    Json v = Json::parse(out, nullptr, false);
    ASSERT_FALSE(v.is_discarded()) << "seed " << seed << ": not JSON: " << out;
    std::string why;
    EXPECT_TRUE(test::schema_valid(v, schema, schema, why)) << "seed " << seed << ": " << why;
  }
}

const char* kSchemas[] = {
    R"({"type": "object", "properties": {"name": {"type": "string", "maxLength": 12},
        "age": {"type": "integer"}, "ok": {"type": "boolean"}}, "required": ["name", "age"]})",
    R"({"type": "object", "properties": {"id": {"type": "number"},
        "inner": {"type": "object", "properties": {"v": {"type": ["string", "null"]},
                  "deep": {"type": "object", "properties": {"x": {"type": "integer"}},
                           "required": ["x"]}}, "required": ["v", "deep"]}},
        "required": ["id", "inner"]})",
    R"({"type": "object", "properties": {"tags": {"type": "array", "items": {"type": "string",
        "minLength": 1, "maxLength": 5}, "minItems": 1, "maxItems": 3}}, "required": ["tags"]})",
    R"({"type": "object", "properties": {"color": {"enum": ["red", "green", "blue"]},
        "n": {"const": 42}}, "required": ["color", "n"]})",
    R"({"anyOf": [{"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]},
        {"type": "array", "items": {"type": "boolean"}, "maxItems": 4}]})",
    R"({"$defs": {"node": {"type": "object", "properties": {"v": {"type": "integer"},
        "kids": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 2}},
        "required": ["v"]}}, "$ref": "#/$defs/node"})",
};

TEST(JsonSchemaProperty, RandomGenerationsValidate) {
  for (const char* text : kSchemas) {
    SCOPED_TRACE(text);
    Json schema = Json::parse(text);
    check_generations(schema, schema_grammar(schema), 100);
  }
}

TEST(JsonSchemaProperty, TheMaskKeepsExactlyTheAllowedTokens) {
  for (const char* text : kSchemas) {
    SCOPED_TRACE(text);
    Json schema = Json::parse(text);
    check_generations(schema, schema_grammar(schema), 5, 5);
  }
  check_generations(Json::parse(R"({"type": "object"})"), *json_object_grammar(), 5, 5);
}

TEST(JsonSchemaProperty, RandomJsonFormatGenerationsAreObjects) {
  check_generations(Json::parse(R"({"type": "object"})"), *json_object_grammar(), 100);
}

}  // namespace
}  // namespace cria
