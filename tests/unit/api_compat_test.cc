// The OpenAI and Anthropic adapters (src/api/openai, src/api/anthropic): requests
// become native chat requests with Ollama's option names, and responses and
// stream events have the fields the official SDKs read.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/anthropic.h"
#include "api/openai.h"

namespace cria {
namespace {

using api::Json;
namespace oai = api::openai;
namespace ant = api::anthropic;

TEST(OpenAIRequest, OptionsUseOllamaNamesAndDefaults) {
  Json body = {
      {"model", "m"},    {"messages", Json::array({{{"role", "user"}, {"content", "hi"}}})},
      {"max_tokens", 7}, {"seed", 3},
      {"stop", "x"},     {"frequency_penalty", 0.5}};
  auto r = oai::parse_chat_completion(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Json& o = r->chat.options;
  EXPECT_EQ(o["num_predict"], 7);
  EXPECT_EQ(o["seed"], 3);
  EXPECT_EQ(o["stop"], Json::array({"x"}));
  EXPECT_EQ(o["temperature"], 1.0);  // unset: OpenAI's default, as Ollama's /v1
  EXPECT_EQ(o["top_p"], 1.0);
  EXPECT_EQ(o["frequency_penalty"], 0.5);
  EXPECT_FALSE(r->chat.stream);
  body["max_completion_tokens"] = 9;
  body["temperature"] = 0;
  r = oai::parse_chat_completion(body);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->chat.options["num_predict"], 9);
  EXPECT_EQ(r->chat.options["temperature"], 0);
}

TEST(OpenAIRequest, ContentPartsToolsAndFormats) {
  Json body = {
      {"model", "m"},
      {"messages",
       Json::array(
           {{{"role", "developer"}, {"content", "sys"}},
            {{"role", "user"},
             {"content", Json::array({{{"type", "text"}, {"text", "a"}},
                                      {{"type", "image_url"}, {"image_url", {{"url", "x"}}}},
                                      {{"type", "text"}, {"text", "b"}}})}},
            {{"role", "assistant"},
             {"content", nullptr},
             {"tool_calls",
              Json::array({{{"id", "call_1"},
                            {"type", "function"},
                            {"function", {{"name", "f"}, {"arguments", "{\"x\":1}"}}}}})}},
            {{"role", "tool"}, {"tool_call_id", "call_1"}, {"content", "42"}}})},
      {"tools", Json::array({{{"type", "function"}, {"function", {{"name", "f"}}}},
                             {{"type", "function"}, {"function", {{"name", "g"}}}}})},
      {"tool_choice", {{"type", "function"}, {"function", {{"name", "g"}}}}},
      {"response_format", {{"type", "json_object"}}}};
  auto r = oai::parse_chat_completion(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& m = r->chat.messages;
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].role, "system");
  EXPECT_EQ(m[1].content, "a\nb");
  ASSERT_EQ(m[2].tool_calls.size(), 1u);
  EXPECT_EQ(m[2].tool_calls[0].arguments, Json({{"x", 1}}));
  EXPECT_EQ(m[3].tool_name, "f");
  ASSERT_EQ(r->chat.tools.size(), 1u);
  EXPECT_EQ(r->chat.tools[0]["function"]["name"], "g");
  EXPECT_TRUE(r->chat.tool_required);  // a named function must be called
  EXPECT_EQ(r->chat.format, "json");
  EXPECT_EQ(r->n, 1);

  body["tool_choice"] = "required";
  body["n"] = 4;
  r = oai::parse_chat_completion(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->chat.tools.size(), 2u);
  EXPECT_TRUE(r->chat.tool_required);
  EXPECT_EQ(r->n, 4);

  body["tool_choice"] = "auto";
  r = oai::parse_chat_completion(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->chat.tool_required);

  body["tool_choice"] = "none";
  body["response_format"] = {{"type", "json_schema"},
                             {"json_schema", {{"schema", {{"type", "object"}}}}}};
  r = oai::parse_chat_completion(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(r->chat.tools.empty());
  EXPECT_EQ(r->chat.format, Json({{"type", "object"}}));
}

TEST(OpenAIRequest, BadRequestsNameTheField) {
  auto err = [](Json body) {
    auto r = oai::parse_chat_completion(body);
    return r.ok() ? std::string() : r.error().message;
  };
  Json ok = {{"model", "m"}, {"messages", Json::array({{{"role", "user"}, {"content", "hi"}}})}};
  EXPECT_EQ(err(ok), "");
  EXPECT_NE(err(Json{{"model", "m"}, {"messages", Json::array()}}).find("messages"),
            std::string::npos);
  Json b = ok;
  b["max_tokens"] = "5";
  EXPECT_NE(err(b).find("max_tokens"), std::string::npos);
  b = ok;
  b["stop"] = 3;
  EXPECT_NE(err(b).find("stop"), std::string::npos);
  for (Json n : {Json(0), Json(129), Json(1.5), Json("2")}) {
    b = ok;
    b["n"] = n;
    EXPECT_NE(err(b).find("\"n\" must be an integer from 1 to 128"), std::string::npos) << n;
  }
  b = Json{{"model", "m"}, {"prompt", "p"}, {"n", 2}};
  auto completion = oai::parse_completion(b);
  ASSERT_FALSE(completion.ok());
  EXPECT_NE(completion.error().message.find("/v1/chat/completions only"), std::string::npos);
  b = ok;
  b["messages"][0].erase("content");
  EXPECT_NE(err(b).find("messages[0].content"), std::string::npos);
  EXPECT_NE(err(Json{{"messages", ok["messages"]}}).find("model"), std::string::npos);
}

TEST(OpenAIResponse, CompletionChunksAndErrors) {
  oai::Head head{"chatcmpl-1", 5, "m"};
  api::Message answer;
  answer.content = "hi";
  answer.thinking = "hmm";
  Json c = oai::chat_completion(head, answer, "length", {3, 2});
  EXPECT_EQ(c["object"], "chat.completion");
  EXPECT_EQ(c["choices"][0]["message"]["content"], "hi");
  EXPECT_EQ(c["choices"][0]["message"]["reasoning"], "hmm");
  EXPECT_EQ(c["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(c["usage"]["total_tokens"], 5);

  api::Message call;
  call.tool_calls.push_back(api::ToolCall{"", 0, "f", Json{{"a", 1}}});
  Json chunk = oai::chat_chunk(head, call, true, 2);
  const Json& tc = chunk["choices"][0]["delta"]["tool_calls"][0];
  EXPECT_EQ(chunk["choices"][0]["delta"]["role"], "assistant");
  EXPECT_EQ(tc["index"], 2);
  EXPECT_EQ(tc["function"]["arguments"], "{\"a\":1}");
  EXPECT_EQ(tc["id"].get<std::string>().rfind("call_", 0), 0u);
  EXPECT_EQ(oai::finish_reason("stop", true), "tool_calls");
  EXPECT_EQ(oai::finish_reason("length", true), "length");
  EXPECT_TRUE(oai::usage_chunk(head, "chat.completion.chunk", {1, 1})["choices"].empty());

  Json e = oai::error_body(404, "nope");
  EXPECT_EQ(e["error"]["message"], "nope");
  EXPECT_TRUE(e["error"].contains("param"));
  EXPECT_EQ(oai::error_body(400, "x")["error"]["type"], "invalid_request_error");
}

TEST(AnthropicRequest, SystemBlocksToolsAndResults) {
  Json body = {
      {"model", "m"},
      {"max_tokens", 16},
      {"top_k", 5},
      {"stop_sequences", Json::array({"END"})},
      {"system",
       Json::array({{{"type", "text"}, {"text", "one"}}, {{"type", "text"}, {"text", "two"}}})},
      {"tools", Json::array({{{"name", "f"}, {"input_schema", {{"type", "object"}}}}})},
      {"messages",
       Json::array(
           {{{"role", "user"}, {"content", "q"}},
            {{"role", "assistant"},
             {"content", Json::array({{{"type", "text"}, {"text", "calling"}},
                                      {{"type", "tool_use"},
                                       {"id", "toolu_1"},
                                       {"name", "f"},
                                       {"input", {{"x", 1}}}}})}},
            {{"role", "user"},
             {"content",
              Json::array({{{"type", "tool_result"}, {"tool_use_id", "toolu_1"}, {"content", "42"}},
                           {{"type", "text"}, {"text", "thanks"}}})}}})}};
  auto r = ant::parse_messages(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const auto& m = r->messages;
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].role, "system");
  EXPECT_EQ(m[0].content, "one\ntwo");
  EXPECT_EQ(m[2].tool_calls.at(0).name, "f");
  EXPECT_EQ(m[3].role, "tool");
  EXPECT_EQ(m[3].content, "42");
  EXPECT_EQ(m[3].tool_name, "f");
  EXPECT_EQ(m[4].content, "thanks");
  EXPECT_EQ(r->options["num_predict"], 16);
  EXPECT_EQ(r->options["top_k"], 5);
  EXPECT_EQ(r->options["stop"], Json::array({"END"}));
  EXPECT_EQ(r->tools[0]["function"]["parameters"], Json({{"type", "object"}}));
  EXPECT_FALSE(r->tool_required);
  for (const char* type : {"any", "tool", "auto"}) {
    Json b = body;
    b["tool_choice"] = {{"type", type}, {"name", "f"}};
    auto forced = ant::parse_messages(b);
    ASSERT_TRUE(forced.ok()) << forced.error().message;
    EXPECT_EQ(forced->tool_required, std::string(type) != "auto") << type;
  }

  body.erase("max_tokens");
  auto missing = ant::parse_messages(body);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("max_tokens"), std::string::npos);
  EXPECT_TRUE(ant::parse_count_tokens(body).ok());
}

std::vector<std::string> names(const std::vector<ant::Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.name);
  return out;
}

TEST(AnthropicStream, BlocksOpenAndCloseInOrder) {
  ant::MessageStream s("msg_1", "m");
  std::vector<ant::Event> all = s.start(4);
  EXPECT_EQ(all[0].data["message"]["usage"]["input_tokens"], 4);
  api::Message thinking, text;
  thinking.thinking = "hmm";
  text.content = "hi";
  for (const auto* piece : {&thinking, &text, &text}) {
    auto ev = s.delta(*piece);
    all.insert(all.end(), ev.begin(), ev.end());
  }
  api::Message call;
  call.tool_calls.push_back(api::ToolCall{"toolu_9", 0, "f", Json{{"a", 1}}});
  auto ev = s.delta(call);
  all.insert(all.end(), ev.begin(), ev.end());
  ev = s.finish("stop", {4, 3});
  all.insert(all.end(), ev.begin(), ev.end());
  std::vector<std::string> want = {
      "message_start",       "content_block_start", "content_block_delta", "content_block_stop",
      "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
      "content_block_start", "content_block_delta", "content_block_stop",  "message_delta",
      "message_stop"};
  EXPECT_EQ(names(all), want);
  EXPECT_EQ(all[4].data["index"], 1);
  EXPECT_EQ(all[5].data["delta"]["type"], "text_delta");
  EXPECT_EQ(all[9].data["delta"]["partial_json"], "{\"a\":1}");
  EXPECT_EQ(all[11].data["delta"]["stop_reason"], "tool_use");
  EXPECT_EQ(all[11].data["usage"]["output_tokens"], 3);
  for (const auto& e : all) EXPECT_EQ(e.data["type"], e.name);
}

TEST(AnthropicResponse, MessageAndErrors) {
  api::Message answer;
  answer.content = "hi";
  Json m = ant::message_object("msg_1", "m", answer, ant::stop_reason("length", false), {2, 1});
  EXPECT_EQ(m["type"], "message");
  EXPECT_EQ(m["content"][0], Json({{"type", "text"}, {"text", "hi"}}));
  EXPECT_EQ(m["stop_reason"], "max_tokens");
  EXPECT_EQ(m["usage"]["output_tokens"], 1);
  EXPECT_EQ(ant::stop_reason("stop", false), "end_turn");
  Json e = ant::error_body(404, "nope");
  EXPECT_EQ(e["type"], "error");
  EXPECT_EQ(e["error"]["type"], "not_found_error");
}

}  // namespace
}  // namespace cria
