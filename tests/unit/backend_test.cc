#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backend/compute.h"
#include "backend/device.h"
#include "backend/graph.h"
#include "backend/memory.h"
#include "backend/weights.h"
#include "base/cpu.h"
#include "gguf/reader.h"
#include "gguf/types.h"
#include "gguf/writer.h"
#include "support/shared_data.h"

namespace cria::backend {
namespace {

std::string stories_path() {
  return test::source_dir() + "/models/stories260K.gguf";
}

std::shared_ptr<const gguf::File> open_stories() {
  auto file = gguf::File::open(stories_path());
  EXPECT_TRUE(file.ok()) << file.error().message;
  return std::make_shared<const gguf::File>(std::move(file).value());
}

// The F32 values of a tensor, read straight from the file's bytes.
std::vector<float> file_f32(const gguf::File& file, std::string_view name) {
  const gguf::TensorInfo* t = file.find_tensor(name);
  EXPECT_NE(t, nullptr) << name;
  EXPECT_EQ(t->type, gguf::kTypeF32);
  const auto bytes = file.tensor_data(*t);
  std::vector<float> out(bytes.size() / sizeof(float));
  std::memcpy(out.data(), bytes.data(), bytes.size());
  return out;
}

std::vector<float> ramp(size_t n, float scale) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = scale * std::sin(0.37f * static_cast<float>(i) + 0.1f);
  return x;
}

// y = W x for W {k, m} and x {k, n} (ggml order), as a plain loop: y {m, n}.
std::vector<float> matmul_ref(const std::vector<float>& w, const std::vector<float>& x, int64_t k,
                              int64_t m, int64_t n) {
  std::vector<float> y(static_cast<size_t>(m * n));
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t i = 0; i < m; ++i) {
      double sum = 0;
      for (int64_t j = 0; j < k; ++j) sum += double(w[i * k + j]) * double(x[t * k + j]);
      y[t * m + i] = static_cast<float>(sum);
    }
  }
  return y;
}

// Builds y = W x for `n_tokens` columns of x into `g`; returns {x, y}.
std::pair<ggml_tensor*, ggml_tensor*> build_matmul(Graph& g, ggml_tensor* w, int64_t n_tokens) {
  g.reset();
  ggml_tensor* x = g.input("x", GGML_TYPE_F32, {w->ne[0], n_tokens});  // {n_embd, n_tokens}
  ggml_tensor* y = ggml_mul_mat(g.ctx(), w, x);                        // {n_vocab, n_tokens}
  ggml_set_name(y, "y");
  g.output(y);
  return {x, y};
}

TEST(Devices, ListHasTheCpu) {
  const auto devices = list_devices();
  ASSERT_FALSE(devices.empty());
  const auto cpu = std::find_if(devices.begin(), devices.end(),
                                [](const DeviceInfo& d) { return d.kind == DeviceKind::kCpu; });
  ASSERT_NE(cpu, devices.end());
  EXPECT_EQ(cpu->name, "CPU");
  EXPECT_EQ(cpu->backend, "CPU");
  EXPECT_FALSE(cpu->description.empty());
  EXPECT_GT(cpu->memory_total, 0u);
  EXPECT_LE(cpu->memory_free, cpu->memory_total);
  EXPECT_EQ(cpu->dev, cpu_device());
  EXPECT_STREQ(device_kind_name(cpu->kind), "cpu");
  // A second enumeration sees the same devices (backends are loaded once).
  EXPECT_EQ(list_devices().size(), devices.size());
}

TEST(Devices, FindByName) {
  auto cpu = find_device("CPU");
  ASSERT_TRUE(cpu.ok()) << cpu.error().message;
  EXPECT_EQ(*cpu, cpu_device());
  auto missing = find_device("NOPE0");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_NE(missing.error().message.find("'NOPE0'"), std::string::npos);
  EXPECT_NE(missing.error().message.find("CPU"), std::string::npos);
}

void expect_same_tensors(const gguf::File& file, const Weights& w) {
  EXPECT_EQ(w.size(), file.tensors().size());
  for (const auto& t : file.tensors()) {
    ggml_tensor* g = w.get(t.name);
    ASSERT_NE(g, nullptr) << t.name;
    EXPECT_EQ(std::string_view(ggml_get_name(g)), t.name);
    EXPECT_EQ(static_cast<uint32_t>(g->type), t.type) << t.name;
    for (size_t d = 0; d < gguf::kMaxDims; ++d) EXPECT_EQ(g->ne[d], t.ne[d]) << t.name;
    EXPECT_EQ(ggml_nbytes(g), t.size) << t.name;
    ASSERT_NE(g->buffer, nullptr) << t.name;
  }
}

TEST(Weights, StoriesZeroCopy) {
  auto file = open_stories();
  ASSERT_EQ(file->tensors().size(), 48u);
  auto w = Weights::load(file);
  ASSERT_TRUE(w.ok()) << w.error().message;
  expect_same_tensors(*file, *w);
  const uint8_t* data = file->bytes().data() + file->data_offset();
  for (const auto& t : file->tensors()) {
    EXPECT_EQ(w->get(t.name)->data, data + t.offset) << t.name;
  }
  ASSERT_EQ(w->buffers().size(), 1u);
  EXPECT_TRUE(w->buffers()[0].mapped);
  EXPECT_EQ(w->buffers()[0].device, "CPU");
  EXPECT_EQ(w->buffers()[0].n_tensors, 48u);

  ggml_tensor* emb = w->get("token_embd.weight");
  ASSERT_NE(emb, nullptr);
  EXPECT_EQ(emb->ne[0], 64);
  EXPECT_EQ(emb->ne[1], 512);
  EXPECT_EQ(w->get("blk.0.attn_q.weight")->ne[1], 64);
}

TEST(Weights, LookupByName) {
  auto w = Weights::load(open_stories());
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->get("no.such.weight"), nullptr);
  auto missing = w->require("no.such.weight");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::kNotFound);
  EXPECT_EQ(missing.error().message, "missing tensor 'no.such.weight' in " + stories_path());
  auto found = w->require("output.weight");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, w->get("output.weight"));
}

TEST(Weights, CopiedWhenNotMapped) {
  auto file = open_stories();
  auto w = Weights::load(file, {.use_mmap = false});
  ASSERT_TRUE(w.ok()) << w.error().message;
  expect_same_tensors(*file, *w);
  ASSERT_EQ(w->buffers().size(), 1u);
  EXPECT_FALSE(w->buffers()[0].mapped);
  const auto bytes = file->bytes();
  for (const auto& t : file->tensors()) {
    ggml_tensor* g = w->get(t.name);
    const auto* p = static_cast<const uint8_t*>(g->data);
    EXPECT_TRUE(p < bytes.data() || p >= bytes.data() + bytes.size()) << t.name;
    std::vector<uint8_t> got(ggml_nbytes(g));
    Graph::read(g, got.data(), got.size());
    const auto want = file->tensor_data(t);
    EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin(), want.end())) << t.name;
  }
}

// Mapped or copied, the progress rises by at least 1% a call and ends with one exact 1.
TEST(Weights, ReportsLoadProgress) {
  auto file = open_stories();
  for (bool mmap : {true, false}) {
    SCOPED_TRACE(mmap ? "mapped" : "copied");
    std::vector<float> seen;
    auto w = Weights::load(
        file, {.use_mmap = mmap, .on_progress = [&seen](float f) { seen.push_back(f); }});
    ASSERT_TRUE(w.ok()) << w.error().message;
    ASSERT_GT(seen.size(), 10u);  // 48 tensors, none over a quarter of the bytes
    EXPECT_EQ(seen.back(), 1.0f);
    EXPECT_GT(seen.front(), 0.0f);
    for (size_t i = 1; i + 1 < seen.size(); ++i) EXPECT_GE(seen[i] - seen[i - 1], 0.0099f) << i;
    EXPECT_LT(seen[seen.size() - 2], 1.0f);
  }
}

TEST(Weights, ParsedFromMemoryIsWrapped) {
  const std::string text = test::read_text(stories_path());
  auto parsed = gguf::File::parse(std::vector<uint8_t>(text.begin(), text.end()), "stories-mem");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  auto file = std::make_shared<const gguf::File>(std::move(parsed).value());
  auto w = Weights::load(file);
  ASSERT_TRUE(w.ok()) << w.error().message;
  expect_same_tensors(*file, *w);
  ASSERT_EQ(w->buffers().size(), 1u);
  EXPECT_TRUE(w->buffers()[0].mapped);
  const uint8_t* data = file->bytes().data() + file->data_offset();
  for (const auto& t : file->tensors()) EXPECT_EQ(w->get(t.name)->data, data + t.offset);
}

class ComputeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = open_stories();
    auto w = Weights::load(file_);
    ASSERT_TRUE(w.ok()) << w.error().message;
    weights_ = std::make_unique<Weights>(std::move(w).value());
    // CPU only, so that the sizes checked below are the CPU's in any build.
    auto c = Compute::create({.n_threads = 2, .use_gpus = false, .max_nodes = 256});
    ASSERT_TRUE(c.ok()) << c.error().message;
    compute_ = std::make_unique<Compute>(std::move(c).value());
  }

  // Computes output.weight × x for `n_tokens` columns and compares with the loop.
  void check_matmul(Graph& g, int64_t n_tokens) {
    ggml_tensor* w = weights_->get("output.weight");  // {64, 512}
    auto [x, y] = build_matmul(g, w, n_tokens);
    const auto xs = ramp(static_cast<size_t>(64 * n_tokens), 0.5f);
    g.set_input(x, std::span<const float>(xs));
    auto st = compute_->compute(g);
    ASSERT_TRUE(st.ok()) << st.error().message;
    const auto got = Graph::read_f32(y);
    const auto want = matmul_ref(file_f32(*file_, "output.weight"), xs, 64, 512, n_tokens);
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4f) << i;
  }

  std::shared_ptr<const gguf::File> file_;
  std::unique_ptr<Weights> weights_;
  std::unique_ptr<Compute> compute_;
};

TEST_F(ComputeTest, MatMulMatchesLoop) {
  Graph g({.max_nodes = 256});
  check_matmul(g, 1);
  check_matmul(g, 5);
}

TEST_F(ComputeTest, GetRowsMatchesFile) {
  Graph g({.max_nodes = 256});
  ggml_tensor* emb = weights_->get("token_embd.weight");  // {64, 512}
  const std::vector<int32_t> ids = {0, 5, 511, 42, 5};
  ggml_tensor* in = g.input("ids", GGML_TYPE_I32, {static_cast<int64_t>(ids.size())});
  ggml_tensor* rows = ggml_get_rows(g.ctx(), emb, in);  // {64, n_ids}
  g.output(rows);
  g.set_input(in, std::span<const int32_t>(ids));
  auto st = compute_->compute(g);
  ASSERT_TRUE(st.ok()) << st.error().message;
  const auto got = Graph::read_f32(rows);
  const auto table = file_f32(*file_, "token_embd.weight");
  ASSERT_EQ(got.size(), 64 * ids.size());
  for (size_t r = 0; r < ids.size(); ++r) {
    for (size_t i = 0; i < 64; ++i) {
      ASSERT_EQ(got[r * 64 + i], table[static_cast<size_t>(ids[r]) * 64 + i]) << r << "," << i;
    }
  }
}

TEST_F(ComputeTest, ReserveOnceThenSmallerGraphsReuseTheBuffer) {
  Graph g({.max_nodes = 256});
  ggml_tensor* w = weights_->get("output.weight");
  build_matmul(g, w, 256);
  auto st = compute_->reserve(g);
  ASSERT_TRUE(st.ok()) << st.error().message;
  const size_t reserved = compute_->compute_buffer_size(compute_->cpu_backend());
  // x {64, 256} and y {512, 256} in F32
  EXPECT_GE(reserved, (64 + 512) * 256 * sizeof(float));
  for (int64_t n : {1, 7, 32, 3, 256}) {
    check_matmul(g, n);
    EXPECT_EQ(compute_->compute_buffer_size(compute_->cpu_backend()), reserved) << n;
  }
}

TEST_F(ComputeTest, MemoryReport) {
  Graph g({.max_nodes = 256});
  build_matmul(g, weights_->get("output.weight"), 64);
  ASSERT_TRUE(compute_->reserve(g).ok());

  ggml_backend_buffer_ptr kv(
      ggml_backend_buft_alloc_buffer(ggml_backend_dev_buffer_type(cpu_device()), 4096));
  ASSERT_NE(kv, nullptr);
  MemoryReport report;
  weights_->account(report);
  compute_->account(report);
  report.add_kv_buffer(kv.get());

  uint64_t tensor_bytes = 0;
  for (const auto& t : file_->tensors()) tensor_bytes += t.size;
  const DeviceMemory* cpu = report.find("CPU");
  ASSERT_NE(cpu, nullptr);
  EXPECT_GE(cpu->weights, tensor_bytes);
  EXPECT_EQ(cpu->weights_mapped, cpu->weights);
  // The mapping is the data section, its start aligned down to 32 bytes.
  EXPECT_LE(cpu->weights, file_->bytes().size() - file_->data_offset() + 32);
  EXPECT_EQ(cpu->weights, weights_->total_bytes());
  EXPECT_EQ(cpu->kv, 4096u);
  EXPECT_GT(cpu->compute, 0u);
  EXPECT_EQ(cpu->compute, compute_->compute_buffer_size(compute_->cpu_backend()));
  EXPECT_EQ(report.total().total(), cpu->total());
  EXPECT_NE(report.to_string().find("CPU: weights"), std::string::npos) << report.to_string();
}

// Records the thread count the CPU backend runs a custom op with.
void record_nth(ggml_tensor* /*dst*/, const ggml_tensor* /*a*/, int ith, int nth, void* seen) {
  if (ith == 0) static_cast<std::atomic<int>*>(seen)->store(nth);
}

int threads_used(Compute& compute) {
  std::atomic<int> seen{0};
  Graph g({.max_nodes = 64});
  ggml_tensor* a = g.input("a", GGML_TYPE_F32, {16});
  g.output(ggml_map_custom1(g.ctx(), a, record_nth, GGML_N_TASKS_MAX, &seen));
  const auto xs = ramp(16, 1.0f);
  g.set_input(a, std::span<const float>(xs));
  auto st = compute.compute(g);
  EXPECT_TRUE(st.ok()) << st.error().message;
  return seen.load();
}

TEST(Threads, DefaultIsPhysicalCores) {
  auto c = Compute::create({.max_nodes = 64});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->n_threads(), physical_cores());
  EXPECT_EQ(threads_used(*c), physical_cores());
}

TEST(Threads, ExplicitCountIsApplied) {
  auto c = Compute::create({.n_threads = 3, .max_nodes = 64});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->n_threads(), 3);
  EXPECT_EQ(threads_used(*c), 3);
  c->set_n_threads(1);
  EXPECT_EQ(c->n_threads(), 1);
  EXPECT_EQ(threads_used(*c), 1);
}

TEST(Compute, GraphTooLargeForTheScheduler) {
  auto c = Compute::create({.n_threads = 1, .max_nodes = 64});
  ASSERT_TRUE(c.ok()) << c.error().message;
  Graph g({.max_nodes = 128});
  auto st = c->compute(g);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("max_nodes"), std::string::npos);
}

// A GGUF in memory with Q4_0 matrices, for the repacked (extra) CPU buffer types.
std::shared_ptr<const gguf::File> q4_0_model() {
  constexpr int64_t k = 256;
  constexpr int64_t m = 64;
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 0.05f);
  gguf::Writer writer;
  writer.set("general.architecture", "llama");
  for (const char* name : {"token_embd.weight", "blk.0.ffn_up.weight"}) {
    std::vector<float> f(static_cast<size_t>(k * m));
    for (float& v : f) v = dist(rng);
    std::vector<uint8_t> q(ggml_row_size(GGML_TYPE_Q4_0, k) * m);
    ggml_quantize_chunk(GGML_TYPE_Q4_0, f.data(), q.data(), 0, m, k, nullptr);
    EXPECT_TRUE(writer.add_tensor({name, gguf::kTypeQ4_0, {k, m}}, std::move(q)).ok());
  }
  auto file = gguf::File::parse(writer.to_bytes(), "q4_0-mem");
  EXPECT_TRUE(file.ok()) << file.error().message;
  return std::make_shared<const gguf::File>(std::move(file).value());
}

std::vector<float> run_matmul(Compute& compute, ggml_tensor* w, const std::vector<float>& xs) {
  Graph g({.max_nodes = 64});
  auto [x, y] = build_matmul(g, w, static_cast<int64_t>(xs.size()) / w->ne[0]);
  g.set_input(x, std::span<const float>(xs));
  auto st = compute.compute(g);
  EXPECT_TRUE(st.ok()) << st.error().message;
  return Graph::read_f32(y);
}

TEST(Weights, CpuRepackMatchesMapped) {
  auto file = q4_0_model();
  auto plain = Weights::load(file);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  auto repacked = Weights::load(file, {.cpu_repack = true});
  ASSERT_TRUE(repacked.ok()) << repacked.error().message;
  expect_same_tensors(*file, *repacked);

  // token_embd is read by get_rows, which repacked layouts do not support.
  ggml_tensor* emb = repacked->get("token_embd.weight");
  const auto& bufs = repacked->buffers();
  const auto mapped = std::find_if(bufs.begin(), bufs.end(), [](auto& b) { return b.mapped; });
  ASSERT_NE(mapped, bufs.end());
  EXPECT_EQ(emb->buffer, mapped->buffer.get());
  ggml_tensor* up = repacked->get("blk.0.ffn_up.weight");
  if (up->buffer == mapped->buffer.get()) {
    GTEST_SKIP() << "this CPU has no repacked layout for Q4_0 {256, 64}";
  }
  EXPECT_STRNE(ggml_backend_buffer_name(up->buffer), "CPU_Mapped");
  EXPECT_EQ(bufs.size(), 2u);

  auto c = Compute::create({.n_threads = 2, .max_nodes = 64});
  ASSERT_TRUE(c.ok()) << c.error().message;
  const auto xs = ramp(256 * 4, 1.0f);
  const auto want = run_matmul(*c, plain->get("blk.0.ffn_up.weight"), xs);
  const auto got = run_matmul(*c, up, xs);
  ASSERT_EQ(got.size(), want.size());
  float scale = 0;
  for (float v : want) scale = std::max(scale, std::fabs(v));
  ASSERT_GT(scale, 0.0f);
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-3f * scale) << i;
}

// Only runs where ggml has a GPU backend (a CUDA build on a GPU machine).
TEST(Gpu, WeightsOnTheGpuComputeLikeTheLoop) {
  const auto gpus = gpu_devices();
  if (gpus.empty()) GTEST_SKIP() << "no GPU device in this build";
  auto file = open_stories();
  auto w = Weights::load(file, {.device = gpus[0]});
  ASSERT_TRUE(w.ok()) << w.error().message;
  expect_same_tensors(*file, *w);
  for (const auto& b : w->buffers()) EXPECT_EQ(b.device, device_name(gpus[0]));

  auto c = Compute::create({.max_nodes = 64});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_GE(c->backends().size(), 2u);
  const auto xs = ramp(64 * 3, 0.5f);
  const auto got = run_matmul(*c, w->get("output.weight"), xs);
  const auto want = matmul_ref(file_f32(*file, "output.weight"), xs, 64, 512, 3);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-3f) << i;

  MemoryReport report;
  w->account(report);
  c->account(report);
  const DeviceMemory* gpu = report.find(device_name(gpus[0]));
  ASSERT_NE(gpu, nullptr) << report.to_string();
  EXPECT_GE(gpu->weights, w->total_bytes());
}

// The GGUF tensor type table (kept as data in gguf/types.cc) agrees with ggml's.
TEST(TypeTable, MatchesGgml) {
  ASSERT_EQ(gguf::kTensorTypeCount, static_cast<gguf::TensorType>(GGML_TYPE_COUNT));
  for (int id = 0; id < GGML_TYPE_COUNT; ++id) {
    const auto type = static_cast<ggml_type>(id);
    const bool in_ggml = ggml_blck_size(type) != 0 && ggml_type_size(type) != 0;
    const auto info = gguf::tensor_type_info(static_cast<gguf::TensorType>(id));
    ASSERT_EQ(info.has_value(), in_ggml) << "type id " << id;
    if (!info) continue;
    EXPECT_EQ(info->block_size, static_cast<uint32_t>(ggml_blck_size(type))) << id;
    EXPECT_EQ(info->type_size, ggml_type_size(type)) << id;
    EXPECT_EQ(info->name, std::string_view(ggml_type_name(type))) << id;
  }
  EXPECT_FALSE(gguf::tensor_type_info(gguf::kTensorTypeCount).has_value());
}

}  // namespace
}  // namespace cria::backend
