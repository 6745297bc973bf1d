#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "base/config.h"
#include "base/cpu.h"
#include "base/format.h"
#include "base/fs.h"
#include "base/mapped_file.h"
#include "base/result.h"
#include "base/utf8.h"

namespace cria {
namespace {

TEST(Utf8, GoQuoteEscapesAsStrconvQuote) {
  EXPECT_EQ(go_quote("plain é 日本"), "\"plain é 日本\"");
  EXPECT_EQ(go_quote("a\"b\\c\n\t\r\a\b\f\v"), R"("a\"b\\c\n\t\r\a\b\f\v")");
  EXPECT_EQ(go_quote(std::string("\x01\x7f\xff", 3)), R"("\x01\x7f\xff")");  // invalid UTF-8 too
  std::string s;
  append_utf8(U'\u00e9', &s);
  char32_t cp = 0;
  size_t len = 0;
  ASSERT_TRUE(decode_utf8(s, 0, &cp, &len));
  EXPECT_EQ(cp, U'\u00e9');
  EXPECT_EQ(len, 2u);
  EXPECT_FALSE(decode_utf8("\xC0\x80", 0, &cp, &len));  // overlong
}

TEST(HumanNumber, MatchesOllamaFormatting) {
  EXPECT_EQ(human_number(0), "0");
  EXPECT_EQ(human_number(999), "999");
  EXPECT_EQ(human_number(292800), "293K");
  EXPECT_EQ(human_number(2086400), "2.09M");
  EXPECT_EQ(human_number(135000000), "135M");
  EXPECT_EQ(human_number(8030261248ULL), "8.0B");
  EXPECT_EQ(human_number(7000000000ULL), "7B");
  EXPECT_EQ(human_number(116829156672ULL), "116.8B");
}

TEST(HumanBytes, DecimalUnits) {
  EXPECT_EQ(human_bytes(512), "512 B");
  EXPECT_EQ(human_bytes(1185376), "1.2 MB");
  EXPECT_EQ(human_bytes(2000000), "2 MB");
  EXPECT_EQ(human_bytes(19473664), "19 MB");
  EXPECT_EQ(human_bytes(4700000000ULL), "4.7 GB");
}

Result<int> half(int v) {
  if (v % 2 != 0) return make_error(Errc::kInvalidArgument, "odd");
  return v / 2;
}

Result<int> quarter(int v) {
  CRIA_ASSIGN_OR_RETURN(int h, half(v));
  return half(h);
}

TEST(Result, PropagatesErrors) {
  auto ok = quarter(8);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto bad = quarter(6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_EQ(bad.error().message, "odd");
}

Config from(std::map<std::string, std::string> env) {
  auto r = Config::from_env([&](const char* k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Config{};
}

TEST(Config, DefaultsAndOverrides) {
  Config d = from({{"HOME", "/home/u"}});
  EXPECT_EQ(d.models_dir, "/home/u/.ollama/models");
  EXPECT_EQ(d.host, "127.0.0.1:11434");
  EXPECT_EQ(d.log_level, log::Level::kInfo);
  Config c = from(
      {{"HOME", "/h"}, {"OLLAMA_MODELS", "/m"}, {"OLLAMA_DEBUG", "1"}, {"CRIA_NUM_THREADS", "3"}});
  EXPECT_EQ(c.models_dir, "/m");
  EXPECT_EQ(c.log_level, log::Level::kDebug);
  EXPECT_EQ(c.num_threads, 3);
}

TEST(Config, FlashAttentionAndKvCacheType) {
  Config d = from({});
  EXPECT_FALSE(d.flash_attention.has_value());
  EXPECT_EQ(d.kv_cache_type, "f16");
  Config c = from({{"OLLAMA_FLASH_ATTENTION", "1"}, {"OLLAMA_KV_CACHE_TYPE", "Q8_0"}});
  EXPECT_EQ(c.flash_attention, std::optional<bool>(true));
  EXPECT_EQ(c.kv_cache_type, "q8_0");
  EXPECT_EQ(from({{"OLLAMA_FLASH_ATTENTION", "false"}}).flash_attention,
            std::optional<bool>(false));
  auto bad = Config::from_env([](const char* k) -> std::optional<std::string> {
    if (std::string(k) == "OLLAMA_KV_CACHE_TYPE") return "q5_1";
    return std::nullopt;
  });
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("OLLAMA_KV_CACHE_TYPE"), std::string::npos);
}

TEST(Config, RejectsBadValuesWithTheVariableName) {
  auto r = Config::from_env([](const char* k) -> std::optional<std::string> {
    if (std::string(k) == "CRIA_NUM_THREADS") return "many";
    return std::nullopt;
  });
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("CRIA_NUM_THREADS"), std::string::npos);
}

TEST(Cpu, CountsArePositive) {
  EXPECT_GE(physical_cores(), 1);
  EXPECT_GE(logical_cpus(), physical_cores());
}

std::string temp_dir() {
  auto dir =
      std::filesystem::temp_directory_path() / ("cria-base-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(MappedFile, MapsBytesAndReportsMissingFiles) {
  const std::string path = temp_dir() + "/m.bin";
  { std::ofstream(path, std::ios::binary) << "hello"; }
  auto m = MappedFile::open(path);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(m->data()), m->size()), "hello");
  auto missing = MappedFile::open(path + ".nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_NE(missing.error().message.find("m.bin.nope"), std::string::npos);
  auto dir = MappedFile::open(temp_dir());
  EXPECT_FALSE(dir.ok());
}

TEST(WriteFileAtomic, ReplacesOnlyOnSuccess) {
  const std::string dir = temp_dir() + "/atomic";
  std::filesystem::create_directories(dir);
  const std::string path = dir + "/f.txt";
  const uint8_t first[] = {'a', 'b'};
  ASSERT_TRUE(write_file_atomic(path, [&](FileSink& s) { return s.write(first); }).ok());
  // A failing fill leaves the old content and no temporary file behind.
  Status st = write_file_atomic(path, [&](FileSink& s) -> Status {
    const uint8_t junk[] = {'x'};
    CRIA_RETURN_IF_ERROR(s.write(junk));
    return make_error(Errc::kIo, "disk on fire");
  });
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "disk on fire");
  std::ifstream in(path);
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "ab");
  size_t entries = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 1u);
  struct stat st_buf {};
  ASSERT_EQ(::stat(path.c_str(), &st_buf), 0);
  EXPECT_EQ(st_buf.st_mode & 0777, 0644u);
  EXPECT_FALSE(write_file_atomic(dir + "/no/such/dir/f", [](FileSink&) { return Status{}; }).ok());
}

}  // namespace
}  // namespace cria
