// Structured outputs end to end: a JSON schema given as a request's format constrains sampling
// in the runner's batcher (4 parallel sequences) so that 100 seeded generations per schema
// (nested objects, arrays of objects, enum/const/type lists, anyOf with $ref) all end on their
// own ("stop"), parse as JSON and validate against the schema, on stories260K and on random-
// weight fixtures with different vocabularies (gpt-2 BPE, llama SPM, phi-3 SPM). Every
// schema bounds its output's length, so num_predict = that bound never cuts a generation.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "api/options.h"
#include "golden/engine_fixture.h"
#include "runner/batcher.h"
#include "runner/job.h"
#include "sampler/json_schema.h"
#include "support/json_schema_check.h"
#include "support/shared_data.h"

namespace cria::test {
namespace {

using api::Json;

constexpr int kSeeds = 100;

struct Schema {
  const char* name;
  const char* text;
};

// Every string has a maxLength and every array a maxItems, so each output has a bounded size
// even when the model's choices are noise.
const Schema kSchemas[] = {
    {"flat", R"({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 8},
        "age": {"type": "integer"},
        "ok": {"type": "boolean"}},
      "required": ["name", "age", "ok"]})"},
    {"nested", R"({"type": "object", "properties": {
        "user": {"type": "object", "properties": {
          "id": {"type": "integer"},
          "address": {"type": "object", "properties": {
            "city": {"type": "string", "maxLength": 6},
            "zip": {"type": "string", "minLength": 2, "maxLength": 5}},
            "required": ["city"]}},
          "required": ["id", "address"]},
        "score": {"type": "number"}},
      "required": ["user"]})"},
    {"array_of_objects", R"({"type": "object", "properties": {
        "items": {"type": "array", "minItems": 1, "maxItems": 2, "items": {
          "type": "object", "properties": {
            "k": {"type": "string", "maxLength": 4},
            "v": {"type": "integer"}},
          "required": ["k", "v"]}},
        "tags": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 3}}},
      "required": ["items", "tags"]})"},
    {"enum_const_types", R"({"type": "object", "properties": {
        "color": {"enum": ["red", "green", "blue", 1, null]},
        "version": {"const": 2},
        "kind": {"const": "v"},
        "count": {"type": ["integer", "null"]},
        "flag": {"type": ["boolean", "string"], "maxLength": 2}},
      "required": ["color", "version", "count"]})"},
    {"anyof_refs", R"({"$defs": {
        "point": {"type": "object", "properties": {
          "x": {"type": "integer"}, "y": {"type": "integer"}}, "required": ["x", "y"]},
        "label": {"type": "string", "maxLength": 5}},
      "type": "object", "properties": {
        "shape": {"anyOf": [
          {"$ref": "#/$defs/point"},
          {"type": "array", "maxItems": 2, "items": {"$ref": "#/$defs/point"}},
          {"$ref": "#/$defs/label"}]},
        "extra": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/label"}]}},
      "required": ["shape"]})"},
};

// The most bytes a value of schema `s` can take in the grammar's output (json_schema.h):
// whitespace up to 21 bytes, integers 17, numbers 38, each string character 6 (\uXXXX).
// Only for schemas without recursion, whose strings and arrays are bounded.
size_t max_bytes(const Json& s, const Json& root) {
  constexpr size_t kWs = 21;
  if (auto r = s.find("$ref"); r != s.end()) return max_bytes(resolve_ref(*r, root), root);
  if (auto c = s.find("const"); c != s.end()) return c->dump().size();
  size_t most = 0;
  if (auto e = s.find("enum"); e != s.end()) {
    for (const Json& v : *e) most = std::max(most, v.dump().size());
    return most;
  }
  for (const char* k : {"anyOf", "oneOf"}) {
    if (auto a = s.find(k); a != s.end()) {
      for (const Json& sub : *a) most = std::max(most, max_bytes(sub, root));
      return most;
    }
  }
  const Json& type = s.at("type");
  if (type.is_array()) {
    for (const Json& t : type) {
      Json one = s;
      one["type"] = t;
      most = std::max(most, max_bytes(one, root));
    }
    return most;
  }
  const std::string t = type;
  if (t == "object") {
    size_t n = 2 + kWs;  // {ws}
    for (const auto& [key, sub] : s.at("properties").items()) {
      n += 1 + kWs + Json(key).dump().size() + 2 * kWs + 1 + max_bytes(sub, root) + kWs;
    }
    return n;
  }
  if (t == "array") {
    const size_t items = s.at("maxItems").get<size_t>();
    return 2 + kWs + items * (1 + kWs + max_bytes(s.at("items"), root) + kWs);
  }
  if (t == "string") return 2 + 6 * s.at("maxLength").get<size_t>();
  if (t == "integer") return 17;
  if (t == "number") return 38;
  if (t == "boolean") return 5;
  return 4;  // null
}

runner::CompletionParams params_for(const Json& schema, int64_t seed) {
  runner::CompletionParams p;
  p.prompt = "Answer in JSON. Once upon a time";
  p.options.temperature = 1.0;
  p.options.top_k = 40;  // of the allowed tokens, after a rejected draw
  p.options.top_p = 1.0;
  p.options.seed = seed;
  p.options.num_predict = static_cast<int64_t>(max_bytes(schema, schema));
  p.format = schema;
  auto grammar = json_schema_grammar(schema.dump());
  EXPECT_TRUE(grammar.ok()) << grammar.error().message;
  if (grammar.ok()) p.grammar = *grammar;
  return p;
}

struct Generation {
  std::string text;
  std::string done_reason;
  std::string error;
  int64_t tokens = 0;
};

// Waits for the job's events until its result or error.
Generation collect(runner::Job& job) {
  Generation g;
  for (;;) {
    runner::Event e = job.pop();
    if (auto* piece = std::get_if<runner::Piece>(&e)) {
      g.text += piece->text;
    } else if (auto* result = std::get_if<runner::CompletionResult>(&e)) {
      g.done_reason = result->done_reason;
      g.tokens = result->eval_count;
      return g;
    } else {
      g.error = std::get<Error>(e).message;
      return g;
    }
  }
}

struct Outcome {
  std::set<std::string> distinct;  // outputs
  int64_t tokens = 0;              // generated by all seeds
};

// Runs kSeeds generations of one schema at once (the batcher serves them 4 at a time) and
// checks each.
Outcome run_schema(runner::Batcher& batcher, const Schema& schema, const std::string& model) {
  const Json s = Json::parse(schema.text);
  std::vector<std::shared_ptr<runner::Job>> jobs;
  for (int seed = 1; seed <= kSeeds; ++seed) {
    auto job = std::make_shared<runner::Job>(params_for(s, seed));
    if (!job->params.grammar) return {};
    job->tokens = batcher.prompt_tokens(job->params);
    batcher.submit(job);
    jobs.push_back(std::move(job));
  }
  Outcome out;
  for (size_t i = 0; i < jobs.size(); ++i) {
    const Generation g = collect(*jobs[i]);
    const std::string where = model + ", schema " + schema.name + ", seed " +
                              std::to_string(i + 1) + ", output: " + g.text;
    EXPECT_EQ(g.error, "") << where;
    EXPECT_EQ(g.done_reason, "stop") << where;
    const Json v = Json::parse(g.text, nullptr, false);
    std::string why;
    const bool valid = !v.is_discarded() && schema_valid(v, s, s, why);
    EXPECT_TRUE(valid) << (v.is_discarded() ? "not JSON" : why) << "; " << where;
    out.distinct.insert(g.text);
    out.tokens += g.tokens;
  }
  return out;
}

struct Model {
  const char* name;
  const char* fixture;  // under shared/fixtures; null: the repository's stories260K
};

void PrintTo(const Model& m, std::ostream* os) {
  *os << m.name;
}

class StructuredOutput : public ::testing::TestWithParam<Model> {};

std::unique_ptr<runner::Batcher> load(const std::string& path) {
  runner::BatcherOptions o;
  o.model_path = path;
  o.context.n_ctx = 1024;   // per sequence; cut to the model's training context
  o.context.n_threads = 1;  // tiny models: no worker threads spinning between graphs
  o.parallel = 4;
  auto b = runner::Batcher::load(o);
  EXPECT_TRUE(b.ok()) << b.error().message;
  return b.ok() ? std::move(b).value() : nullptr;
}

TEST_P(StructuredOutput, SeededGenerationsFollowEverySchema) {
  const Model& m = GetParam();
  std::string path = stories_path();
  if (m.fixture != nullptr) {
    CRIA_REQUIRE_SHARED(fixture, std::string("fixtures/") + m.fixture + ".gguf");
    path = fixture;
  }
  auto batcher = load(path);
  ASSERT_NE(batcher, nullptr);
  for (const Schema& schema : kSchemas) {
    const auto start = std::chrono::steady_clock::now();
    const Outcome out = run_schema(*batcher, schema, m.name);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(out.distinct.size(), 2u)
        << m.name << ", schema " << schema.name << ": every seed gave the same output";
    std::printf("%s, %s: %.1f s, %lld tokens, %zu distinct outputs, e.g. %s\n", m.name, schema.name,
                took.count(), static_cast<long long>(out.tokens), out.distinct.size(),
                out.distinct.empty() ? "" : out.distinct.begin()->c_str());
  }
}

// Every causal fixture architecture, each vocabulary at least once: gpt-2 BPE (llama,
// qwen3moe), llama SPM (llama-e256; gemma2 without a space prefix), phi-3 SPM (phi3).
// Quantized copies of llama-e256 and the architectures that differ from these only in the
// attention block (qwen2, qwen3, gemma3) add time, not coverage of the grammar.
INSTANTIATE_TEST_SUITE_P(Models, StructuredOutput,
                         ::testing::Values(Model{"stories260K", nullptr}, Model{"llama", "llama"},
                                           Model{"llama_e256", "llama-e256"},
                                           Model{"qwen3moe", "qwen3moe"}, Model{"gemma2", "gemma2"},
                                           Model{"phi3", "phi3"}),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace cria::test
