#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "store/modelfile.h"
#include "store/params.h"
#include "support/shared_data.h"

namespace cria::store {
namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::string parse_error(const std::string& text) {
  auto mf = parse_modelfile(text);
  if (mf.ok()) return "";
  EXPECT_EQ(mf.error().code, Errc::kInvalidArgument);
  return mf.error().message;
}

TEST(Modelfile, ParsesEveryInstruction) {
  auto mf = parse_modelfile(
      "\xEF\xBB\xBF# a comment\n"
      "from llama3.2\n"
      "\n"
      "  # indented comment\n"
      "PARAMETER temperature 0.7\n"
      "parameter num_ctx 4096\n"
      "PARAMETER stop <|eot_id|>\n"
      "PARAMETER stop \"User:\"\n"
      "PARAMETER use_mmap false\n"
      "TEMPLATE \"\"\"{{ if .System }}<|system|>\n"
      "{{ .System }}{{ end }}\n"
      "\"quoted\" inside\"\"\"\n"
      "SYSTEM \"  padded  \"\n"
      "Message user Hello there\n"
      "MESSAGE assistant \"\"\"Hi!\n"
      "How can I help?\"\"\"\n"
      "LICENSE \"\"\"MIT\n"
      "License\"\"\"\n"
      "REQUIRES 0.14.0\n"
      "ADAPTER ./lora.gguf\n");
  ASSERT_TRUE(mf.ok()) << mf.error().message;
  const auto& c = mf->commands;
  ASSERT_EQ(c.size(), 13u);
  EXPECT_EQ(c[0].name, "model");
  EXPECT_EQ(c[0].args, "llama3.2");
  EXPECT_EQ(c[0].line, 2);
  EXPECT_TRUE(c[1].is_parameter);
  EXPECT_EQ(c[1].name, "temperature");
  EXPECT_EQ(c[1].value, 0.7);
  EXPECT_EQ(c[2].value, 4096);
  EXPECT_TRUE(c[2].value.is_number_integer());
  EXPECT_EQ(c[3].value, "<|eot_id|>");
  EXPECT_EQ(c[4].value, "User:");
  EXPECT_EQ(c[5].value, false);
  EXPECT_EQ(c[6].name, "template");
  EXPECT_EQ(c[6].args, "{{ if .System }}<|system|>\n{{ .System }}{{ end }}\n\"quoted\" inside");
  EXPECT_EQ(c[7].args, "  padded  ");
  EXPECT_EQ(c[8].args, "user: Hello there");
  EXPECT_EQ(c[9].args, "assistant: Hi!\nHow can I help?");
  EXPECT_EQ(c[9].line, 15);
  EXPECT_EQ(c[10].args, "MIT\nLicense");
  EXPECT_EQ(c[11].name, "requires");
  EXPECT_EQ(c[12].name, "adapter");
}

TEST(Modelfile, ErrorsNameTheLine) {
  EXPECT_EQ(parse_error("FROM x\n\nFOO bar\n"),
            "line 3: unknown instruction \"FOO\" (expected FROM, PARAMETER, TEMPLATE, SYSTEM, "
            "ADAPTER, LICENSE, MESSAGE, REQUIRES, RENDERER or PARSER)");
  EXPECT_TRUE(contains(parse_error("FROM x\nPARAMETER num_ctx big\n"),
                       "line 2: invalid value "
                       "\"big\" for parameter "
                       "\"num_ctx\""));
  EXPECT_TRUE(contains(parse_error("FROM x\nPARAMETER temprature 1\n"),
                       "line 2: unknown parameter \"temprature\""));
  EXPECT_TRUE(contains(parse_error("FROM x\nPARAMETER top_p high\n"), "line 2:"));
  EXPECT_TRUE(contains(parse_error("FROM x\nPARAMETER use_mmap maybe\n"), "line 2:"));
  EXPECT_TRUE(contains(parse_error("FROM x\n# c\nMESSAGE tool hi\n"),
                       "line 3: message role must be one of"));
  EXPECT_TRUE(contains(parse_error("FROM x\nSYSTEM \"\"\"never closed\nmore\n"),
                       "line 2: SYSTEM value opened with \"\"\" is never closed"));
  EXPECT_TRUE(contains(parse_error("FROM x\nTEMPLATE\n"), "line 2: TEMPLATE needs a value"));
  EXPECT_TRUE(contains(parse_error("FROM x\nPARAMETER\n"), "line 2:"));
  EXPECT_TRUE(contains(parse_error("FROM x\nREQUIRES soon\n"), "line 2: REQUIRES"));
  EXPECT_TRUE(contains(parse_error("SYSTEM hi\n"), "no FROM line"));
  EXPECT_TRUE(contains(parse_error(""), "no FROM line"));
  EXPECT_TRUE(contains(parse_error("FROM x\n!!\n"), "line 2: unknown instruction \"!!\""));
}

TEST(Modelfile, DeprecatedParametersAreIgnoredWithAWarning) {
  auto mf = parse_modelfile("FROM x\nPARAMETER mirostat 2\n");
  ASSERT_TRUE(mf.ok());
  EXPECT_EQ(mf->commands.size(), 1u);
  ASSERT_EQ(mf->warnings.size(), 1u);
  EXPECT_TRUE(contains(mf->warnings[0], "mirostat"));
}

TEST(Modelfile, EveryOllamaOptionIsTyped) {
  const char* ints[] = {"num_ctx",  "num_batch", "num_gpu",     "main_gpu", "num_thread",
                        "num_keep", "seed",      "num_predict", "top_k",    "repeat_last_n"};
  for (const char* k : ints) {
    EXPECT_EQ(*parse_param(k, "-1"), -1) << k;
    EXPECT_FALSE(parse_param(k, "1.5").ok()) << k;
  }
  const char* floats[] = {"top_p",
                          "min_p",
                          "typical_p",
                          "temperature",
                          "repeat_penalty",
                          "presence_penalty",
                          "frequency_penalty"};
  for (const char* k : floats) {
    EXPECT_EQ(*parse_param(k, "0.25"), 0.25) << k;
    EXPECT_FALSE(parse_param(k, "x").ok()) << k;
  }
  EXPECT_EQ(*parse_param("use_mmap", "true"), true);
  EXPECT_EQ(*parse_param("temperature", "0.7"), 0.7);  // not 0.699999988
}

TEST(Modelfile, ToCreateRequestHashesLocalFiles) {
  std::string dir = test::source_dir() + "/models";
  auto mf = parse_modelfile(
      "FROM ./stories260K.gguf\nPARAMETER stop a\nPARAMETER stop b\nPARAMETER seed 4\n"
      "MESSAGE user hi\nLICENSE one\nLICENSE two\nSYSTEM s\n");
  ASSERT_TRUE(mf.ok());
  auto r = to_create_request(*mf, dir);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->request.files.size(), 1u);
  const std::string digest = r->request.files.at("stories260K.gguf");
  EXPECT_EQ(digest, sha256_file(dir + "/stories260K.gguf")->str());
  EXPECT_EQ(r->uploads.at(digest), dir + "/stories260K.gguf");
  EXPECT_TRUE(r->request.from.empty());
  EXPECT_EQ(r->request.parameters, Json::parse(R"({"stop":["a","b"],"seed":4})"));
  EXPECT_EQ(r->request.messages, Json::parse(R"([{"role":"user","content":"hi"}])"));
  EXPECT_EQ(r->request.license, (std::vector<std::string>{"one", "two"}));

  auto named = to_create_request(*parse_modelfile("FROM llama3.2:1b\n"), dir);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->request.from, "llama3.2:1b");
  auto bad = to_create_request(*parse_modelfile("FROM ./missing/../x y.gguf\n"), dir);
  EXPECT_FALSE(bad.ok());
}

TEST(Modelfile, RenderRoundTrip) {
  Model m;
  m.short_name = "stories:latest";
  m.model_path = test::source_dir() + "/models/stories260K.gguf";
  m.template_text = "{{ .System }}\nUSER: {{ .Prompt }}\"";
  m.system = "Be brief.";
  m.params = Json::parse(R"({"num_ctx":4096,"stop":["</s>","USER:"],"temperature":0.7})");
  m.messages =
      Json::parse(R"([{"role":"user","content":"hi"},{"role":"assistant","content":"yo"}])");
  m.licenses = {"MIT\nLicense"};
  std::string text = render_modelfile(m);
  EXPECT_EQ(text,
            "# Modelfile generated by \"ollama show\"\n"
            "# To build a new Modelfile based on this, replace FROM with:\n"
            "# FROM stories:latest\n\n"
            "FROM " +
                m.model_path +
                "\n"
                "TEMPLATE \"\"\"{{ .System }}\nUSER: {{ .Prompt }}\"\"\"\"\n"
                "SYSTEM Be brief.\n"
                "PARAMETER num_ctx 4096\n"
                "PARAMETER stop </s>\n"
                "PARAMETER stop USER:\n"
                "PARAMETER temperature 0.7\n"
                "LICENSE \"MIT\nLicense\"\n"
                "MESSAGE user hi\n"
                "MESSAGE assistant yo\n");
  auto back = parse_modelfile(text);
  ASSERT_TRUE(back.ok()) << back.error().message;
  auto r = to_create_request(*back, "/");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->request.system, m.system);
  EXPECT_EQ(r->request.parameters, m.params);
  EXPECT_EQ(r->request.messages, m.messages);
  EXPECT_EQ(r->request.license, m.licenses);
  EXPECT_EQ(r->request.template_text, *m.template_text);
  EXPECT_EQ(r->request.files.size(), 1u);

  EXPECT_EQ(render_parameters(m.params),
            "num_ctx                        4096\n"
            "stop                           \"</s>\"\n"
            "stop                           \"USER:\"\n"
            "temperature                    0.7");
}

}  // namespace
}  // namespace cria::store
