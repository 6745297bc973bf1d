// The built-in template Cria picks for each real Jinja chat template must reproduce the
// reference renderings in ../shared/models/templates/rendered byte for byte.
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/shared_data.h"
#include "template/chat.h"
#include "template/library.h"
#include "template/template.h"

namespace cria::tmpl {
namespace {

// Which built-in template each reference Jinja template must map to.
const std::map<std::string, std::string> kExpectedChoice = {
    {"HuggingFaceTB-SmolLM3-3B.jinja", "smollm3"},
    {"Qwen-Qwen2.5-7B-Instruct.jinja", "qwen2.5"},
    {"Qwen-Qwen3-0.6B.jinja", "qwen3"},
    {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", "deepseek-r1"},
    {"google-gemma-2-2b-it.jinja", "gemma"},
    {"ibm-granite-granite-3.3-2B-Instruct.jinja", "granite"},
    {"meta-llama-Llama-3.1-8B-Instruct.jinja", "llama3.1"},
    {"meta-llama-Llama-3.2-3B-Instruct.jinja", "llama3.2"},
    {"microsoft-Phi-3.5-mini-instruct.jinja", "phi3"},
    {"mistralai-Mistral-Nemo-Instruct-2407.jinja", "mistral"},
    {"openai-gpt-oss-120b.jinja", "gpt-oss"},
};

// The chat Cria's server builds from an Ollama /api/chat request with these messages.
ChatInput chat_from_case(const Json& c) {
  ChatInput chat;
  for (const auto& m : c.at("messages")) {
    Message msg;
    msg.role = m.at("role").get<std::string>();
    msg.content = m.value("content", "");
    msg.tool_call_id = m.value("tool_call_id", "");
    if (m.contains("tool_calls")) {
      int index = 0;
      for (const auto& tc : m.at("tool_calls")) {
        ToolCall call;
        call.id = tc.value("id", "");
        call.name = tc.at("function").at("name").get<std::string>();
        call.arguments = tc.at("function").at("arguments");
        call.index = index++;
        msg.tool_calls.push_back(std::move(call));
      }
    }
    chat.messages.push_back(std::move(msg));
  }
  if (c.contains("tools")) chat.tools = c.at("tools");
  return chat;
}

// THE ONE PLACE where the reference is adjusted: the Jinja templates emit the BOS token as text
// (deepseek, gemma, llama 3.x, mistral); Cria's templates do not, because the tokenizer adds BOS
// when it encodes the prompt (as with Ollama's templates). So a leading bos_token is removed from
// the reference before the byte-for-byte comparison; nothing else is.
std::string without_leading_bos(const std::string& reference, const std::string& bos) {
  if (!bos.empty() && reference.compare(0, bos.size(), bos) == 0)
    return reference.substr(bos.size());
  return reference;
}

Date parse_date(const std::string& s) {
  return Date{std::stoi(s.substr(0, 4)), std::stoi(s.substr(5, 2)), std::stoi(s.substr(8, 2))};
}

TEST(TemplateGolden, PicksAndRendersEveryReference) {
  CRIA_REQUIRE_SHARED(dir, "models/templates");
  Json index = Json::parse(test::read_text(dir + "/rendered/index.json"));
  ExecOptions options;
  options.today = parse_date(index.at("date_for_strftime_now").get<std::string>());
  int compared = 0;
  for (const auto& [file, cases] : index.at("templates").items()) {
    SCOPED_TRACE(file);
    std::string jinja = test::read_text(dir + "/" + file);
    TemplateChoice choice = pick_template(jinja);
    ASSERT_TRUE(kExpectedChoice.count(file)) << "new reference template: add it to the table";
    EXPECT_EQ(choice.name, kExpectedChoice.at(file));
    EXPECT_FALSE(choice.fallback);
    auto t = Template::parse(choice.text);
    ASSERT_TRUE(t.ok()) << t.error().message;
    for (const auto& [case_name, ref] : cases.items()) {
      SCOPED_TRACE(case_name);
      if (!ref.contains("file")) continue;  // the Jinja template refuses this case
      ChatInput chat = chat_from_case(index.at("cases").at(case_name));
      auto got = render_chat(*t, chat, options);
      ASSERT_TRUE(got.ok()) << got.error().message;
      std::string want =
          without_leading_bos(test::read_text(dir + "/" + ref.at("file").get<std::string>()),
                              ref.value("bos_token", ""));
      EXPECT_EQ(*got, want);
      ++compared;
    }
  }
  EXPECT_EQ(compared, 42);
}

// Gemma 2's Jinja template refuses a system message; Cria's puts it before the first user turn.
TEST(TemplateGolden, GemmaPutsTheSystemPromptInTheFirstUserTurn) {
  auto t = Template::parse(find_builtin("gemma")->text);
  ASSERT_TRUE(t.ok());
  ChatInput chat;
  chat.messages = {{"system", "Be brief.", "", {}, "", ""}, {"user", "Hi", "", {}, "", ""}};
  auto got = render_chat(*t, chat);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(*got, "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n");
}

}  // namespace
}  // namespace cria::tmpl
