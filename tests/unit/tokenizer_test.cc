// Tokenizer: the golden vectors of ../shared/models/vocab (every case of every
// vocabulary), the bundled stories260K vocabulary, streaming decode, special
// tokens and malformed metadata.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "gguf/reader.h"
#include "gguf/writer.h"
#include "support/shared_data.h"

namespace cria::tokenizer {
namespace {

EncodeOptions enc(bool add_special, bool parse_special) {
  EncodeOptions o;
  o.add_special = add_special;
  o.parse_special = parse_special;
  return o;
}
EncodeOptions no_bos() {
  EncodeOptions o;
  o.add_bos = false;
  return o;
}
EncodeOptions with_eos() {
  EncodeOptions o;
  o.add_eos = true;
  return o;
}
DecodeOptions render_special() {
  DecodeOptions o;
  o.render_special = true;
  return o;
}
StreamDecoder::Options strip_first() {
  StreamDecoder::Options o;
  o.strip_leading_space = true;
  return o;
}

std::vector<std::string> split_cases(const std::string& raw) {
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < raw.size()) {
    const size_t next = raw.find(sep, pos);
    if (next == std::string::npos) {
      out.push_back(raw.substr(pos));
      break;
    }
    out.push_back(raw.substr(pos, next - pos));
    pos = next + sep.size();
  }
  return out;
}

std::vector<std::vector<int32_t>> read_expected(const std::string& raw) {
  std::vector<std::vector<int32_t>> out;
  std::istringstream lines(raw);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ids(line);
    out.emplace_back();
    for (int32_t id; ids >> id;) out.back().push_back(id);
  }
  return out;
}

std::string ids_str(const std::vector<int32_t>& ids) {
  std::string s;
  for (int32_t id : ids) s += (s.empty() ? "" : " ") + std::to_string(id);
  return s;
}

void check_vocab(const std::string& name) {
  CRIA_REQUIRE_SHARED(path, "models/vocab/ggml-vocab-" + name + ".gguf");
  auto file = gguf::File::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto tok = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  const auto cases = split_cases(test::read_text(path + ".inp"));
  const auto expected = read_expected(test::read_text(path + ".out"));
  ASSERT_EQ(cases.size(), expected.size());
  size_t passed = 0;
  std::string first_failure;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto got = tok->encode(cases[i], enc(false, false));
    if (got == expected[i]) {
      ++passed;
    } else if (first_failure.empty()) {
      first_failure = "case " + std::to_string(i) + " text: '" + cases[i] +
                      "'\n  expected: " + ids_str(expected[i]) + "\n  got:      " + ids_str(got);
    }
  }
  std::printf("%s: %zu/%zu\n", name.c_str(), passed, cases.size());
  EXPECT_EQ(passed, cases.size()) << "first mismatch, " << first_failure;
}

TEST(TokenizerGolden, LlamaSpm) {
  check_vocab("llama-spm");
}
TEST(TokenizerGolden, Phi3) {
  check_vocab("phi-3");
}
TEST(TokenizerGolden, BertBge) {
  check_vocab("bert-bge");
}
TEST(TokenizerGolden, Gpt2) {
  check_vocab("gpt-2");
}
TEST(TokenizerGolden, DeepseekCoder) {
  check_vocab("deepseek-coder");
}
TEST(TokenizerGolden, DeepseekLlm) {
  check_vocab("deepseek-llm");
}
TEST(TokenizerGolden, Falcon) {
  check_vocab("falcon");
}
TEST(TokenizerGolden, Starcoder) {
  check_vocab("starcoder");
}
TEST(TokenizerGolden, Mpt) {
  check_vocab("mpt");
}
TEST(TokenizerGolden, Refact) {
  check_vocab("refact");
}

Tokenizer stories() {
  auto file = gguf::File::open(test::source_dir() + "/models/stories260K.gguf");
  EXPECT_TRUE(file.ok()) << file.error().message;
  auto tok = Tokenizer::from_gguf(*file);
  EXPECT_TRUE(tok.ok()) << tok.error().message;
  return std::move(tok).value();  // outlives the file
}

TEST(Tokenizer, StoriesGoldenPrompt) {
  const Tokenizer tok = stories();
  EXPECT_EQ(tok.model(), Model::kSpm);
  EXPECT_EQ(tok.n_vocab(), 512);
  EXPECT_EQ(tok.encode("Once upon a time"), (std::vector<int32_t>{1, 403, 407, 261, 378}));
  EXPECT_EQ(tok.encode("Once upon a time", enc(false, false)),
            (std::vector<int32_t>{403, 407, 261, 378}));
  EXPECT_EQ(tok.encode("Once", no_bos()).front(), 403);
  EXPECT_EQ(tok.encode("", {}), std::vector<int32_t>{1});
  EXPECT_TRUE(tok.is_eog(tok.eos()));
  EXPECT_FALSE(tok.is_eog(403));
}

TEST(Tokenizer, StoriesRoundTrip) {
  const Tokenizer tok = stories();
  for (std::string text :
       {"Once upon a time", "Hello, world!  Two  spaces.", "Tom's cat\nran.", "Grüße 你好 🎉"}) {
    const auto ids = tok.encode(text, enc(false, false));
    EXPECT_EQ(tok.decode(ids), text);
    EXPECT_EQ(tok.decode(tok.encode(text)), " " + text);  // as llama.cpp: BOS keeps the space
  }
  EXPECT_EQ(tok.decode(std::vector<int32_t>{1, 403}, render_special()), "<s> Once");
}

TEST(Tokenizer, StreamDecoderHoldsIncompleteUtf8) {
  const Tokenizer tok = stories();
  // Not in this tiny vocabulary: byte fallback, one token per byte.
  const auto ids = tok.encode("a 🎉 é", enc(false, false));
  ASSERT_GT(ids.size(), 6u);
  StreamDecoder dec(tok, strip_first());
  std::string out;
  for (int32_t id : ids) {
    const std::string part = dec.push(id);
    // Every piece handed out is whole UTF-8.
    EXPECT_EQ(part.find("\xEF\xBF\xBD"), std::string::npos);
    out += part;
  }
  out += dec.flush();
  EXPECT_EQ(out, "a 🎉 é");

  StreamDecoder cut(tok);
  const auto emoji = tok.encode("🎉", enc(false, false));
  ASSERT_EQ(emoji.size(), 5u);  // "▁" then four byte tokens
  EXPECT_EQ(cut.push(emoji[0]), " ");
  EXPECT_EQ(cut.push(emoji[1]), "");
  EXPECT_EQ(cut.push(emoji[2]), "");
  EXPECT_EQ(cut.flush(), "\xEF\xBF\xBD\xEF\xBF\xBD");  // each byte of a cut tail: U+FFFD
}

TEST(Tokenizer, SpecialTokensOnlyWhenAsked) {
  const Tokenizer tok = stories();
  const auto plain = tok.encode("a</s>b", enc(false, false));
  EXPECT_EQ(std::count(plain.begin(), plain.end(), tok.eos()), 0);
  const auto parsed = tok.encode("a</s>b", enc(false, true));
  EXPECT_EQ(std::count(parsed.begin(), parsed.end(), tok.eos()), 1);
  const auto eos = tok.encode("x", with_eos());
  EXPECT_EQ(eos.back(), tok.eos());
}

// llama.cpp gives the special tokens of a model named Phi-3 (general.name) the RSTRIP
// attribute: the newlines after <|user|>, <|end|> and <|assistant|> in its chat template are
// not tokenized. The fixture carries the real Phi-3 vocabulary and such a name.
TEST(Tokenizer, Phi3SpecialTokensDropTheWhitespaceAfterThem) {
  CRIA_REQUIRE_SHARED(path, "fixtures/phi3.gguf");
  auto file = gguf::File::open(path);
  ASSERT_TRUE(file.ok()) << file.error().message;
  auto tok = Tokenizer::from_gguf(*file);
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  constexpr int32_t kUser = 32010, kEnd = 32007, kAssistant = 32001;
  std::vector<int32_t> want = {kUser};
  for (int32_t id : tok->encode("Hi", enc(false, false))) want.push_back(id);
  want.push_back(kEnd);
  want.push_back(kAssistant);
  EXPECT_EQ(tok->encode("<|user|>\nHi<|end|>\n<|assistant|>\n", enc(false, true)), want);
  // <s> (like <unk> and <|endoftext|>) keeps the newline after it.
  EXPECT_GT(tok->encode("<s>\n", enc(false, true)).size(), 1u);
}

// A minimal GGUF vocabulary in memory.
gguf::Writer bpe_writer() {
  gguf::Writer w;
  w.set("tokenizer.ggml.model", "gpt2");
  w.set("tokenizer.ggml.pre", "gpt-2");
  w.set("tokenizer.ggml.tokens",
        gguf::make_array(std::vector<std::string>{"a", "b", "ab", "<|e|>"}));
  w.set("tokenizer.ggml.token_type", gguf::make_array(std::vector<int32_t>{1, 1, 1, 3}));
  w.set("tokenizer.ggml.merges", gguf::make_array(std::vector<std::string>{"a b"}));
  w.set("tokenizer.ggml.eos_token_id", gguf::OwnedValue(uint32_t{3}));
  return w;
}

Result<Tokenizer> load(const gguf::Writer& w) {
  auto file = gguf::File::parse(w.to_bytes(), "t.gguf");
  if (!file.ok()) return file.error();
  return Tokenizer::from_gguf(*file);
}

TEST(Tokenizer, SmallBpeFromMemory) {
  auto tok = load(bpe_writer());
  ASSERT_TRUE(tok.ok()) << tok.error().message;
  EXPECT_EQ(tok->encode("abab<|e|>", enc(true, true)), (std::vector<int32_t>{2, 2, 3}));
  EXPECT_EQ(tok->encode("ab<|e|>").front(), 2);
  EXPECT_TRUE(tok->is_eog(3));
  EXPECT_EQ(tok->decode(std::vector<int32_t>{2, 0}), "aba");
}

TEST(Tokenizer, EveryPreTokenizerCompiles) {
  for (const char* pre :
       {"default", "gpt-2", "llama-bpe", "dbrx", "qwen2", "deepseek-llm", "deepseek-coder",
        "deepseek-v3", "falcon", "starcoder", "refact", "mpt", "smollm", "command-r", "bloom",
        "viking", "tekken", "gpt-4o", "chatglm-bpe"}) {
    gguf::Writer w = bpe_writer();
    w.set("tokenizer.ggml.pre", pre);
    auto tok = load(w);
    ASSERT_TRUE(tok.ok()) << pre << ": " << tok.error().message;
    EXPECT_EQ(tok->encode("ab", enc(false, false)), std::vector<int32_t>{2}) << pre;
  }
}

void expect_error(const gguf::Writer& w, const std::string& fragment) {
  auto tok = load(w);
  ASSERT_FALSE(tok.ok()) << "expected an error mentioning " << fragment;
  EXPECT_NE(tok.error().message.find(fragment), std::string::npos) << tok.error().message;
}

TEST(Tokenizer, MalformedMetadataIsAnError) {
  gguf::Writer no_tokens = bpe_writer();
  no_tokens.remove("tokenizer.ggml.tokens");
  expect_error(no_tokens, "tokenizer.ggml.tokens");

  gguf::Writer bad_merge = bpe_writer();
  bad_merge.set("tokenizer.ggml.merges", gguf::make_array(std::vector<std::string>{"a zz"}));
  expect_error(bad_merge, "does not name two tokens");

  gguf::Writer no_merges = bpe_writer();
  no_merges.remove("tokenizer.ggml.merges");
  expect_error(no_merges, "merges");

  gguf::Writer bad_id = bpe_writer();
  bad_id.set("tokenizer.ggml.eos_token_id", gguf::OwnedValue(uint32_t{99}));
  expect_error(bad_id, "outside the vocabulary");

  gguf::Writer short_types = bpe_writer();
  short_types.set("tokenizer.ggml.token_type", gguf::make_array(std::vector<int32_t>{1}));
  expect_error(short_types, "token_type");

  gguf::Writer bad_pre = bpe_writer();
  bad_pre.set("tokenizer.ggml.pre", "no-such-pre");
  expect_error(bad_pre, "no-such-pre");

  gguf::Writer bad_model = bpe_writer();
  bad_model.set("tokenizer.ggml.model", "t5x");
  expect_error(bad_model, "t5x");

  gguf::Writer no_model;
  expect_error(no_model, "tokenizer.ggml.model");
}

}  // namespace
}  // namespace cria::tokenizer
