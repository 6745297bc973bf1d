// Request parsing and option typing (src/api), durations and the environment
// configuration (src/base): the errors a client or user sees must name the field.
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "api/options.h"
#include "api/types.h"
#include "base/config.h"
#include "base/duration.h"

namespace cria {
namespace {

using namespace std::chrono_literals;
using api::Json;
using api::Options;

// The error message of a failed apply_options, or "" when it succeeded.
std::string apply_error(const Json& object, Options& o) {
  Status st = api::apply_options(object, o, nullptr);
  return st.ok() ? "" : st.error().message;
}

TEST(ApplyOptions, WrongTypeNamesTheOption) {
  Options o;
  std::string msg = apply_error(Json{{"num_ctx", "2048"}}, o);
  EXPECT_NE(msg.find("option \"num_ctx\" must be an integer"), std::string::npos) << msg;
  EXPECT_EQ(o.num_ctx, Options{}.num_ctx);  // unchanged
  msg = apply_error(Json{{"use_mmap", 1}}, o);
  EXPECT_NE(msg.find("option \"use_mmap\" must be a boolean"), std::string::npos) << msg;
  msg = apply_error(Json{{"top_p", "0.5"}}, o);
  EXPECT_NE(msg.find("option \"top_p\" must be a number"), std::string::npos) << msg;
  msg = apply_error(Json{{"stop", Json::array({"a", 1})}}, o);
  EXPECT_NE(msg.find("option \"stop\" must be an array of strings"), std::string::npos) << msg;
  EXPECT_FALSE(api::apply_options(Json::array(), o, nullptr).ok());
}

TEST(ApplyOptions, WholeFloatsAreAcceptedForIntegers) {
  Options o;
  ASSERT_EQ(apply_error(Json{{"num_ctx", 8192.0}, {"seed", -3.0}}, o), "");
  EXPECT_EQ(o.num_ctx, 8192);
  EXPECT_EQ(o.seed, -3);
  std::string msg = apply_error(Json{{"num_ctx", 2048.5}}, o);
  EXPECT_NE(msg.find("num_ctx"), std::string::npos) << msg;
  EXPECT_EQ(o.num_ctx, 8192);
  // Integers are fine for floats.
  ASSERT_EQ(apply_error(Json{{"temperature", 1}}, o), "");
  EXPECT_EQ(o.temperature, 1.0);
}

TEST(ApplyOptions, StopStringBecomesAnArray) {
  Options o;
  ASSERT_EQ(apply_error(Json{{"stop", "###"}}, o), "");
  EXPECT_EQ(o.stop, std::vector<std::string>{"###"});
  ASSERT_EQ(apply_error(Json{{"stop", Json::array({"a", "b"})}}, o), "");
  EXPECT_EQ(o.stop, (std::vector<std::string>{"a", "b"}));
}

TEST(ApplyOptions, UnknownOptionsAreReportedAndNullsIgnored) {
  Options o;
  std::vector<std::string> unknown;
  Status st = api::apply_options(
      Json{{"num_ctx", 1024}, {"mirostat_tau", 5}, {"bogus", true}, {"top_k", nullptr}}, o,
      &unknown);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(unknown, (std::vector<std::string>{"mirostat_tau", "bogus"}));
  EXPECT_EQ(o.num_ctx, 1024);
  EXPECT_EQ(o.top_k, Options{}.top_k);
}

std::string validate_error(const Options& o) {
  Status st = api::validate_options(o);
  return st.ok() ? "" : st.error().message;
}

TEST(ValidateOptions, RefusesValuesNoModelCanRunWith) {
  EXPECT_EQ(validate_error(Options{}), "");
  Options o;
  o.num_ctx = -1;
  EXPECT_NE(validate_error(o).find("\"num_ctx\""), std::string::npos);
  o = Options{};
  o.num_predict = 1000000000000;
  EXPECT_NE(validate_error(o).find("\"num_predict\""), std::string::npos);
  o = Options{};
  o.top_p = 2;
  EXPECT_NE(validate_error(o).find("\"top_p\""), std::string::npos);
  o = Options{};
  o.min_p = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(validate_error(o).find("\"min_p\""), std::string::npos);
  o = Options{};
  o.temperature = std::numeric_limits<double>::quiet_NaN();
  EXPECT_NE(validate_error(o).find("\"temperature\""), std::string::npos);
  o = Options{};
  o.repeat_penalty = std::numeric_limits<double>::infinity();
  EXPECT_NE(validate_error(o).find("\"repeat_penalty\""), std::string::npos);
  o = Options{};
  o.num_predict = -2;  // Ollama's "fill the context"
  EXPECT_EQ(validate_error(o), "");
}

TEST(OptionsToJson, ListsOnlyNonDefaults) {
  Options o;
  EXPECT_EQ(api::options_to_json(o), Json::object());
  o.num_ctx = 8192;
  o.stop = {"</s>"};
  EXPECT_EQ(api::options_to_json(o), (Json{{"num_ctx", 8192}, {"stop", Json::array({"</s>"})}}));
}

std::string generate_error(const Json& body) {
  auto r = api::parse_generate(body);
  return r.ok() ? "" : r.error().message;
}

TEST(ParseGenerate, ReadsFields) {
  auto r = api::parse_generate(Json{{"model", "llama3"},
                                    {"prompt", "hi"},
                                    {"stream", false},
                                    {"format", "json"},
                                    {"keep_alive", "5m"},
                                    {"options", {{"num_ctx", 1}}},
                                    {"context", {1, 2, 3}},
                                    {"raw", true}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->model, "llama3");
  EXPECT_EQ(r->prompt, "hi");
  EXPECT_FALSE(r->stream);
  EXPECT_EQ(r->format, "json");
  EXPECT_EQ(r->keep_alive, std::optional<Nanos>(5min));
  EXPECT_EQ(r->options, (Json{{"num_ctx", 1}}));
  EXPECT_EQ(r->context, (std::vector<int32_t>{1, 2, 3}));
  EXPECT_TRUE(r->raw);
  EXPECT_FALSE(r->has_template);
  // The older "name" field, and no keep_alive: the server's default.
  auto old = api::parse_generate(Json{{"name", "m"}});
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old->model, "m");
  EXPECT_FALSE(old->keep_alive.has_value());
}

TEST(ParseGenerate, FieldErrorsNameTheField) {
  EXPECT_NE(generate_error(Json{{"prompt", "x"}}).find("model is required"), std::string::npos);
  EXPECT_NE(
      generate_error(Json{{"model", "m"}, {"format", "yaml"}}).find("invalid format \"yaml\""),
      std::string::npos);
  EXPECT_NE(generate_error(Json{{"model", "m"}, {"format", 3}}).find("\"format\""),
            std::string::npos);
  EXPECT_EQ(generate_error(Json{{"model", "m"}, {"format", {{"type", "object"}}}}), "");
  EXPECT_NE(generate_error(Json{{"model", "m"}, {"keep_alive", true}}).find("\"keep_alive\""),
            std::string::npos);
  EXPECT_NE(generate_error(Json{{"model", "m"}, {"keep_alive", "soon"}}).find("soon"),
            std::string::npos);
  EXPECT_NE(generate_error(Json{{"model", "m"}, {"prompt", 5}}).find("\"prompt\" must be a string"),
            std::string::npos);
  EXPECT_NE(generate_error(Json{{"model", "m"}, {"stream", "no"}}).find("\"stream\""),
            std::string::npos);
  EXPECT_NE(generate_error(Json{{"model", "m"}, {"options", "x"}}).find("\"options\""),
            std::string::npos);
  EXPECT_NE(generate_error(Json{{"model", "m"}, {"context", {1, -1}}}).find("\"context\""),
            std::string::npos);
  EXPECT_NE(generate_error(Json::array()).find("JSON object"), std::string::npos);
}

TEST(ParseChat, MessagesAndToolCalls) {
  Json body = {
      {"model", "m"},
      {"messages",
       {{{"role", "user"}, {"content", "weather?"}},
        {{"role", "assistant"},
         {"tool_calls",
          {{{"function", {{"name", "get"}, {"arguments", "{\"city\":\"Paris\"}"}}}},
           {{"id", "c2"}, {"function", {{"name", "put"}, {"arguments", {{"n", 1}}}}}}}}}}}};
  auto r = api::parse_chat(body);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->messages.size(), 2u);
  EXPECT_EQ(r->messages[0].role, "user");
  EXPECT_EQ(r->messages[0].content, "weather?");
  const auto& calls = r->messages[1].tool_calls;
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].name, "get");
  EXPECT_EQ(calls[0].arguments, (Json{{"city", "Paris"}}));  // string JSON parsed
  EXPECT_EQ(calls[0].index, 0);
  EXPECT_EQ(calls[1].id, "c2");
  EXPECT_EQ(calls[1].arguments, (Json{{"n", 1}}));
  EXPECT_EQ(calls[1].index, 1);
}

std::string chat_error(const Json& body) {
  auto r = api::parse_chat(body);
  return r.ok() ? "" : r.error().message;
}

TEST(ParseChat, FieldErrors) {
  EXPECT_NE(
      chat_error(Json{{"model", "m"}, {"messages", "hi"}}).find("\"messages\" must be an array"),
      std::string::npos);
  EXPECT_NE(chat_error(Json{{"model", "m"}, {"messages", {{{"content", "x"}}}}}).find("\"role\""),
            std::string::npos);
  auto with_args = [](Json args) {
    return Json{{"model", "m"},
                {"messages",
                 {{{"role", "assistant"},
                   {"tool_calls", {{{"function", {{"name", "f"}, {"arguments", args}}}}}}}}}};
  };
  EXPECT_NE(chat_error(with_args("not json")).find("arguments"), std::string::npos);
  EXPECT_NE(chat_error(with_args(5)).find("arguments"), std::string::npos);
  EXPECT_NE(chat_error(Json{{"model", "m"}, {"tools", {{"a", 1}}}}).find("\"tools\""),
            std::string::npos);
  EXPECT_NE(chat_error(Json{{"model", "m"}, {"think", 1}}).find("\"think\""), std::string::npos);
}

std::optional<Nanos> keep_alive(const Json& v) {
  auto r = api::parse_keep_alive(v);
  EXPECT_TRUE(r.ok()) << v.dump() << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : std::nullopt;
}

TEST(ParseKeepAlive, NumbersAndDurationStrings) {
  EXPECT_EQ(keep_alive("5m"), Nanos(5min));
  EXPECT_EQ(keep_alive(300), Nanos(300s));
  EXPECT_EQ(keep_alive(1.5), Nanos(1500ms));
  EXPECT_EQ(keep_alive(-1), kForever);
  EXPECT_EQ(keep_alive("-1"), kForever);
  EXPECT_EQ(keep_alive("0"), Nanos(0));
  EXPECT_EQ(keep_alive(0), Nanos(0));
  EXPECT_EQ(keep_alive("1h30m"), Nanos(90min));
  EXPECT_EQ(keep_alive(nullptr), std::nullopt);
  auto bad = api::parse_keep_alive("bogus");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("bogus"), std::string::npos);
  EXPECT_FALSE(api::parse_keep_alive(Json::array()).ok());
}

TEST(ParseDuration, GoDurationStrings) {
  auto d = [](const char* s) {
    auto r = parse_duration(s);
    EXPECT_TRUE(r.ok()) << s;
    return r.ok() ? *r : Nanos(-1);
  };
  EXPECT_EQ(d("1.5s"), Nanos(1500ms));
  EXPECT_EQ(d("300ms"), Nanos(300ms));
  EXPECT_EQ(d("-1m"), kForever);
  EXPECT_EQ(d("1h2m3.5s"), Nanos(3723500ms));
  EXPECT_EQ(d("10"), Nanos(10s));  // a bare number is seconds
  EXPECT_EQ(d("250us"), Nanos(250us));
  for (const char* bad : {"abc", "", "-", "5x", "m5", "1.5.5s"}) {
    auto r = parse_duration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
  }
  EXPECT_EQ(seconds_to_duration(1e300), kForever);
  EXPECT_EQ(seconds_to_duration(std::nan("")), kForever);
}

// Runs fn with TZ set to tz, then restores the previous TZ.
template <class Fn>
void with_tz(const char* tz, Fn fn) {
  const char* old = std::getenv("TZ");
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  setenv("TZ", tz, 1);
  tzset();
  fn();
  if (saved) {
    setenv("TZ", saved->c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

TEST(FormatTime, Rfc3339WithNanoseconds) {
  using std::chrono::system_clock;
  // 2024-01-02T03:04:05.123456789Z
  system_clock::time_point t{std::chrono::duration_cast<system_clock::duration>(
      std::chrono::seconds(1704164645) + std::chrono::nanoseconds(123456789))};
  with_tz("UTC0", [&] {
    EXPECT_EQ(api::format_time(t), "2024-01-02T03:04:05.123456789Z");
    // Trailing zeros of the fraction are dropped, as Go does; none left: no dot.
    EXPECT_EQ(api::format_time(t + std::chrono::nanoseconds(876543211)), "2024-01-02T03:04:06Z");
    EXPECT_EQ(api::format_time(t - std::chrono::nanoseconds(123456789 - 500000000)),
              "2024-01-02T03:04:05.5Z");
  });
  with_tz("XST-2", [&] {  // POSIX: two hours east of UTC
    EXPECT_EQ(api::format_time(t), "2024-01-02T05:04:05.123456789+02:00");
  });
  std::regex shape(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))");
  EXPECT_TRUE(std::regex_match(api::format_time(system_clock::now()), shape));
}

HostAddr host(const std::string& v) {
  auto r = parse_host(v);
  EXPECT_TRUE(r.ok()) << v << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : HostAddr{"none", "none", -1};
}

TEST(ParseHost, OllamaHostForms) {
  HostAddr a = host("0.0.0.0");
  EXPECT_EQ(a.scheme, "http");
  EXPECT_EQ(a.host, "0.0.0.0");
  EXPECT_EQ(a.port, 11434);
  EXPECT_EQ(a.url(), "http://127.0.0.1:11434");

  a = host(":8080");
  EXPECT_EQ(a.host, "");
  EXPECT_EQ(a.port, 8080);
  EXPECT_EQ(a.connect_host(), "127.0.0.1");

  a = host("http://example.com");
  EXPECT_EQ(a.host, "example.com");
  EXPECT_EQ(a.port, 80);

  a = host("[::1]:11435");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 11435);
  EXPECT_EQ(a.url(), "http://[::1]:11435");

  a = host("https://h");
  EXPECT_EQ(a.scheme, "https");
  EXPECT_EQ(a.host, "h");
  EXPECT_EQ(a.port, 443);

  a = host("");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 11434);

  a = host("example.com:99/path");
  EXPECT_EQ(a.host, "example.com");
  EXPECT_EQ(a.port, 99);

  for (const char* bad : {"h:99999", "h:abc", "h:-1"}) {
    auto r = parse_host(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("OLLAMA_HOST"), std::string::npos);
  }
}

Result<Config> config_from(const std::map<std::string, std::string>& env) {
  return Config::from_env([&](const char* k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ConfigFromEnv, KeepAliveQueueAndOrigins) {
  auto d = config_from({});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->keep_alive, Nanos(5min));
  EXPECT_EQ(d->max_queue, 512);
  EXPECT_TRUE(d->origins.empty());

  auto c = config_from({{"OLLAMA_KEEP_ALIVE", "10m"},
                        {"OLLAMA_MAX_QUEUE", "7"},
                        {"OLLAMA_ORIGINS", " http://a.example , app://*,,chrome-extension://*"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->keep_alive, Nanos(10min));
  EXPECT_EQ(c->max_queue, 7);
  EXPECT_EQ(c->origins,
            (std::vector<std::string>{"http://a.example", "app://*", "chrome-extension://*"}));

  auto forever = config_from({{"OLLAMA_KEEP_ALIVE", "-1"}});
  ASSERT_TRUE(forever.ok());
  EXPECT_EQ(forever->keep_alive, kForever);
  auto seconds = config_from({{"OLLAMA_KEEP_ALIVE", "30"}});
  ASSERT_TRUE(seconds.ok());
  EXPECT_EQ(seconds->keep_alive, Nanos(30s));
}

TEST(ConfigFromEnv, BadValuesNameTheVariable) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{{"OLLAMA_KEEP_ALIVE", "bogus"},
                                                        {"OLLAMA_MAX_QUEUE", "0"},
                                                        {"OLLAMA_MAX_QUEUE", "many"},
                                                        {"OLLAMA_MAX_QUEUE", "5x"}}) {
    auto r = config_from({{name, value}});
    ASSERT_FALSE(r.ok()) << name << "=" << value;
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace cria
