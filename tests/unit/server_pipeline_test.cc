// server::run over a fake runner: the runner's pieces go through the model's output parser and
// come out as deltas with content, thinking and tool calls.
#include <gtest/gtest.h>

#include "server/pipeline.h"

namespace cria::server {
namespace {

// Streams fixed pieces, then the final chunk.
class PiecesRunner final : public sched::Runner {
 public:
  explicit PiecesRunner(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
  Status complete(const api::Json&, const sched::ChunkFn& on_chunk) override {
    for (const auto& p : pieces_)
      if (!on_chunk(api::Json{{"content", p}})) return {};
    on_chunk(api::Json{{"done", true}, {"done_reason", "stop"}, {"eval_count", 9}});
    return {};
  }
  Result<api::Json> embed(const api::Json&) override {
    return make_error(Errc::kInvalidArgument, "no embeddings here");
  }
  Result<std::vector<int32_t>> tokenize(const std::string&, bool) override {
    return std::vector<int32_t>{};
  }
  Result<std::string> detokenize(const std::vector<int32_t>&) override { return std::string(); }
  bool alive() override { return true; }
  uint64_t memory_bytes() const override { return 0; }
  int64_t context_length() const override { return 2048; }

 private:
  std::vector<std::string> pieces_;
};

class PiecesFactory final : public sched::RunnerFactory {
 public:
  explicit PiecesFactory(std::vector<std::string> pieces) : pieces_(std::move(pieces)) {}
  Result<std::unique_ptr<sched::Runner>> start(const sched::LoadSpec&) override {
    return std::unique_ptr<sched::Runner>(std::make_unique<PiecesRunner>(pieces_));
  }

 private:
  std::vector<std::string> pieces_;
};

class Recorder final : public Output {
 public:
  bool delta(const Delta& d) override {
    deltas.push_back(d);
    content += d.content;
    thinking += d.thinking;
    for (const auto& c : d.tool_calls) calls.push_back(c);
    return true;
  }
  void done(const Final& f) override { reason = f.done_reason; }
  void error(const Error& e) override { err = e.message; }

  std::vector<Delta> deltas;
  std::string content, thinking, reason, err;
  std::vector<api::ToolCall> calls;
};

// A Qwen 3 style TEMPLATE: <tool_call> and <think> make its output syntax.
constexpr const char* kTemplate =
    "{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}"
    "{{ if .Tools }}<tool_call>{{ end }}{{ if .Thinking }}<think>{{ end }}<|im_start|>assistant\n";

Recorder run_pieces(std::vector<std::string> pieces, const RunRequest& r) {
  sched::SchedOptions so;
  so.free_memory = [] { return uint64_t{0}; };
  sched::Scheduler sched(so, std::make_unique<PiecesFactory>(std::move(pieces)));
  Prepared p;
  p.model_name = "m";
  p.model.template_text = kTemplate;
  sched::LoadSpec spec;
  spec.name = "m";
  spec.model_path = "/nonexistent";
  auto lease = sched.acquire(spec, std::nullopt);
  EXPECT_TRUE(lease.ok());
  p.lease = std::move(lease).value();
  Recorder out;
  run(p, r, out);
  return out;
}

TEST(ServerPipeline, ThinkingAndToolCallsBecomeDeltas) {
  RunRequest r;
  r.prompt = "<|im_start|>user\nWeather?<|im_end|>\n<|im_start|>assistant\n";
  r.has_tools = true;
  Recorder out = run_pieces({"<think>", "\nNeed", " the weather.\n", "</think>", "\n\n", "<tool",
                             "_call>\n{\"name\": \"get_weather\", ",
                             "\"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"},
                            r);
  EXPECT_EQ(out.err, "");
  EXPECT_EQ(out.reason, "stop");
  EXPECT_EQ(out.thinking, "Need the weather.");
  EXPECT_EQ(out.content, "");
  ASSERT_EQ(out.calls.size(), 1u);
  EXPECT_EQ(out.calls[0].name, "get_weather");
  EXPECT_EQ(out.calls[0].index, 0);
  EXPECT_EQ(out.calls[0].arguments, api::Json({{"city", "Paris"}}));
  EXPECT_TRUE(out.calls[0].id.starts_with("call_"));
  // One delta per piece; the call comes with the piece that closed it.
  ASSERT_EQ(out.deltas.size(), 8u);
  EXPECT_EQ(out.deltas[7].tool_calls.size(), 1u);
  EXPECT_EQ(out.deltas[5].content, "");  // "<tool" held back
}

TEST(ServerPipeline, NoToolsNoThinkingPassesTextThrough) {
  RunRequest r;
  r.has_tools = false;
  r.think = false;
  Recorder out = run_pieces({"<think>x</think>", "<tool_call>{}</tool_call>", " hi"}, r);
  // think=false hides thinking; without tools a tool tag is text.
  EXPECT_EQ(out.thinking, "");
  EXPECT_EQ(out.content, "<tool_call>{}</tool_call> hi");
  EXPECT_TRUE(out.calls.empty());
}

}  // namespace
}  // namespace cria::server
