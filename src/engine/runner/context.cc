#include "engine/runner/context.h"

#include <algorithm>
#include <cassert>

#include <fmt/format.h>

#include "base/log.h"
#include "engine/cpu/packer.h"
#include "engine/models/registry.h"

namespace cria::engine {

namespace {

KvCacheOptions kv_options(const ModelInfo& info, const ContextOptions& o) {
  const bool streams = o.kv_streams && o.n_seq > 1 && !info.is_embedding();
  return KvCacheOptions{.n_ctx = o.n_ctx,
                        .n_seq = o.n_seq,
                        .n_stream = streams ? o.n_seq : 1,
                        .n_layer = info.n_layer,
                        .n_head_kv = info.n_head_kv,
                        .head_dim_k = info.head_dim_k,
                        .head_dim_v = info.head_dim_v,
                        .type_k = o.kv_type,
                        .type_v = o.kv_type,
                        .flash = o.flash_attention,
                        .n_swa = info.n_swa,
                        .swa_layers = info.swa_layers,
                        .causal = info.causal};
}

}  // namespace

Result<std::unique_ptr<Context>> Context::open(const std::string& path,
                                               const ContextOptions& options) {
  CRIA_ASSIGN_OR_RETURN(gguf::File file, gguf::File::open(path));
  return create(std::make_shared<const gguf::File>(std::move(file)), options);
}

namespace {

// A quantized cache needs head sizes that are whole blocks; a model without them
// falls back to an F16 cache, as Ollama does, instead of failing to load.
void fit_kv_type(const ModelInfo& info, ContextOptions& opt) {
  if (!ggml_is_quantized(opt.kv_type)) return;
  const int64_t block = ggml_blck_size(opt.kv_type);
  if (info.head_dim_k % block == 0 && info.head_dim_v % block == 0) return;
  log::warn(
      "a {} KV cache needs head sizes that are multiples of {} (this model's: {}/{}): "
      "using f16",
      ggml_type_name(opt.kv_type), block, info.head_dim_k, info.head_dim_v);
  opt.kv_type = GGML_TYPE_F16;
}

}  // namespace

Result<std::unique_ptr<Context>> Context::create(std::shared_ptr<const gguf::File> file,
                                                 const ContextOptions& options) {
  backend::WeightsOptions wo{.use_mmap = options.use_mmap, .cpu_repack = options.cpu_repack};
  // Our own packed q8_0/q5_0 layouts go with ggml's repacked ones: both are CPU layouts.
  if (options.cpu_repack) wo.packer = cpu::weight_packer();
  CRIA_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, load_model(std::move(file), wo));
  return create(std::move(model), options);
}

Result<std::unique_ptr<Context>> Context::create(std::unique_ptr<Model> model,
                                                 const ContextOptions& options) {
  if (options.n_batch <= 0 || options.n_seq <= 0 || options.n_ctx < 0) {
    return make_error(Errc::kInvalidArgument, "n_batch and n_seq must be positive");
  }
  ContextOptions opt = options;
  if (opt.n_ctx == 0) opt.n_ctx = model->info().n_ctx_train;
  opt.n_batch = std::min(opt.n_batch, opt.n_ctx);
  // llama.cpp's rule of thumb for the largest graph: 8 nodes per tensor of the model.
  const size_t max_nodes = std::max(backend::kDefaultMaxNodes, 8 * model->weights().size());
  CRIA_ASSIGN_OR_RETURN(
      backend::Compute compute,
      backend::Compute::create(
          {.n_threads = opt.n_threads, .use_gpus = false, .max_nodes = max_nodes}));
  fit_kv_type(model->info(), opt);
  CRIA_ASSIGN_OR_RETURN(KvCache kv, KvCache::create(kv_options(model->info(), opt)));
  std::unique_ptr<Context> ctx(
      new Context(std::move(model), std::move(compute), std::move(kv), opt));
  ctx->graph_ = backend::Graph({.max_nodes = max_nodes});
  CRIA_RETURN_IF_ERROR(ctx->reserve());
  return ctx;
}

Context::Context(std::unique_ptr<Model> model, backend::Compute compute, KvCache kv,
                 const ContextOptions& options)
    : opt_(options), model_(std::move(model)), compute_(std::move(compute)), kv_(std::move(kv)) {
  next_pos_.resize(static_cast<size_t>(opt_.n_seq));
}

Status Context::reserve() {
  // The worst case: a full batch, every token's logits, every cell attended.
  const int32_t n = opt_.n_batch;
  graph_.reset();
  backend::Graph& g = graph_;
  const KvBatch kv = kv_.worst_case(g, n);
  const ForwardInputs in{.graph = &g,
                         .tokens = g.input("inp_tokens", GGML_TYPE_I32, {n}),
                         .positions = g.input("inp_pos", GGML_TYPE_I32, {n}),
                         .out_ids = g.input("inp_out_ids", GGML_TYPE_I32, {n}),
                         .kv = &kv};
  g.output(model_->forward(in));
  CRIA_RETURN_IF_ERROR(compute_.reserve(g));
  logits_.reserve(static_cast<size_t>(n) * static_cast<size_t>(info().n_output()));
  return {};
}

Status Context::check(const Batch& b) const {
  const size_t n = b.tokens.size();
  if (n == 0) return make_error(Errc::kInvalidArgument, "empty batch");
  if ((!b.positions.empty() && b.positions.size() != n) ||
      (!b.seq_ids.empty() && b.seq_ids.size() != n) ||
      (!b.want_logits.empty() && b.want_logits.size() != n)) {
    return make_error(Errc::kInvalidArgument,
                      "batch positions, sequence ids and logit flags must match its tokens");
  }
  for (int32_t t : b.tokens) {
    if (t < 0 || t >= info().n_vocab) {
      return make_error(
          Errc::kInvalidArgument,
          fmt::format("token id {} is outside the vocabulary (0..{})", t, info().n_vocab - 1));
    }
  }
  for (int32_t s : b.seq_ids) {
    if (s < 0 || s >= opt_.n_seq) {
      return make_error(Errc::kInvalidArgument,
                        fmt::format("sequence id {} is outside 0..{}", s, opt_.n_seq - 1));
    }
  }
  for (int32_t p : b.positions) {
    if (p < 0) return make_error(Errc::kInvalidArgument, "negative position");
  }
  return {};
}

void Context::prepare(const Batch& b) {
  const size_t n = b.tokens.size();
  seqs_.assign(n, 0);
  if (!b.seq_ids.empty()) std::copy(b.seq_ids.begin(), b.seq_ids.end(), seqs_.begin());
  positions_.resize(n);
  if (!b.positions.empty()) {
    std::copy(b.positions.begin(), b.positions.end(), positions_.begin());
  } else {
    for (int32_t s = 0; s < opt_.n_seq; ++s) {
      next_pos_[static_cast<size_t>(s)] = kv_.cells(s).seq_pos_max(s) + 1;
    }
    for (size_t i = 0; i < n; ++i) positions_[i] = next_pos_[static_cast<size_t>(seqs_[i])]++;
  }
  wanted_.assign(n, 0);
  if (b.want_logits.empty()) {
    wanted_[n - 1] = 1;
  } else {
    for (size_t i = 0; i < n; ++i) wanted_[i] = b.want_logits[i] != 0;
  }
  out_row_.resize(n);
  int32_t row = 0;
  for (size_t i = 0; i < n; ++i) out_row_[i] = wanted_[i] ? row++ : -1;
}

Result<Logits> Context::decode(const Batch& batch) {
  CRIA_RETURN_IF_ERROR(check(batch));
  CRIA_RETURN_IF_ERROR(apply_shifts());
  prepare(batch);
  CRIA_RETURN_IF_ERROR(kv_.check_room(seqs_));  // the whole batch, not only its first chunk
  const auto n_vocab = static_cast<size_t>(info().n_output());
  const auto n_rows = static_cast<size_t>(std::count(wanted_.begin(), wanted_.end(), 1));
  logits_.resize(n_rows * n_vocab);
  start_chunks();
  while (next_chunk()) CRIA_RETURN_IF_ERROR(decode_chunk(batch.tokens));
  return Logits{.data = logits_,
                .n_rows = static_cast<int32_t>(n_rows),
                .n_vocab = static_cast<int32_t>(n_vocab)};
}

void Context::start_chunks() {
  // A stable counting sort of the batch indices by stream: each stream's tokens stay in
  // order, and a chunk of them is the layout KvCache::take wants. Unified: the batch order.
  order_.resize(seqs_.size());
  const auto n_stream = static_cast<size_t>(kv_.n_stream());
  stream_at_.assign(n_stream + 1, 0);
  for (int32_t seq : seqs_) ++stream_at_[static_cast<size_t>(kv_.stream_of(seq)) + 1];
  for (size_t s = 1; s <= n_stream; ++s) stream_at_[s] += stream_at_[s - 1];
  for (size_t i = 0; i < seqs_.size(); ++i) {
    order_[static_cast<size_t>(stream_at_[static_cast<size_t>(kv_.stream_of(seqs_[i]))]++)] =
        static_cast<int32_t>(i);
  }
  chunk_at_ = 0;
}

bool Context::next_chunk() {
  const size_t n = std::min(order_.size() - chunk_at_, static_cast<size_t>(opt_.n_batch));
  chunk_.assign(order_.begin() + static_cast<std::ptrdiff_t>(chunk_at_),
                order_.begin() + static_cast<std::ptrdiff_t>(chunk_at_ + n));
  chunk_at_ += n;
  return n > 0;
}

Status Context::decode_chunk(std::span<const int32_t> tokens) {
  const auto n = static_cast<int64_t>(chunk_.size());
  chunk_tokens_.clear();
  chunk_pos_.clear();
  chunk_seqs_.clear();
  out_ids_.clear();
  for (size_t j = 0; j < chunk_.size(); ++j) {
    const auto i = static_cast<size_t>(chunk_[j]);
    chunk_tokens_.push_back(tokens[i]);
    chunk_pos_.push_back(positions_[i]);
    chunk_seqs_.push_back(seqs_[i]);
    if (wanted_[i]) out_ids_.push_back(static_cast<int32_t>(j));
  }
  const size_t n_out = out_ids_.size();
  if (n_out == 0) out_ids_.push_back(static_cast<int32_t>(n - 1));  // computed, not returned

  CRIA_RETURN_IF_ERROR(kv_.take(chunk_pos_, chunk_seqs_));
  const bool reuse = can_reuse(n);
  if (reuse) {
    graph_.restage();
    kv_.fill(graph_, built_.kv, chunk_pos_, chunk_seqs_);
  } else {
    build(n, chunk_pos_, chunk_seqs_);
  }
  backend::Graph& g = graph_;
  g.set_input(built_.tokens, std::span<const int32_t>(chunk_tokens_));
  g.set_input(built_.positions, std::span<const int32_t>(chunk_pos_));
  g.set_input(built_.out_ids, std::span<const int32_t>(out_ids_));
  CRIA_RETURN_IF_ERROR(reuse ? compute_.recompute(g) : compute_.compute(g));
  read_logits(static_cast<int64_t>(n_out));
  return {};
}

// Copies the chunk's logits rows to their rows of logits_: in one read when they are
// consecutive there (always, unless chunks were reordered by stream).
void Context::read_logits(int64_t n_out) {
  if (n_out == 0) return;
  const size_t n_vocab = static_cast<size_t>(info().n_output());
  const size_t row_bytes = n_vocab * sizeof(float);
  auto dest = [&](int64_t r) {
    return out_row_[static_cast<size_t>(
        chunk_[static_cast<size_t>(out_ids_[static_cast<size_t>(r)])])];
  };
  bool consecutive = true;
  for (int64_t r = 1; r < n_out && consecutive; ++r) consecutive = dest(r) == dest(0) + r;
  if (consecutive) {
    backend::Graph::read(built_.logits, logits_.data() + static_cast<size_t>(dest(0)) * n_vocab,
                         static_cast<size_t>(n_out) * row_bytes);
    return;
  }
  for (int64_t r = 0; r < n_out; ++r) {
    ggml_backend_tensor_get(built_.logits, logits_.data() + static_cast<size_t>(dest(r)) * n_vocab,
                            static_cast<size_t>(r) * row_bytes, row_bytes);
  }
}

bool Context::can_reuse(int64_t n) const {
  // The graph's topology depends on these and the options only; everything else that
  // changes from chunk to chunk (tokens, positions, rows out, cells written, masks) is
  // input data. The scheduler must still hold it: no reserve, shift graph or other
  // compute since.
  return opt_.graph_reuse && built_.graph_id != 0 && built_.graph_id == graph_.id() &&
         compute_.is_allocated(graph_) && built_.n_tokens == n &&
         built_.n_out_ids == out_ids_.size() && built_.kv.runs() == kv_.taken_runs();
}

void Context::build(int64_t n, std::span<const int32_t> pos, std::span<const int32_t> seqs) {
  graph_.reset();
  backend::Graph& g = graph_;
  built_ = Built{.graph_id = g.id(),
                 .n_tokens = n,
                 .n_out_ids = out_ids_.size(),
                 .kv = kv_.build(g, pos, seqs)};
  built_.tokens = g.input("inp_tokens", GGML_TYPE_I32, {n});
  built_.positions = g.input("inp_pos", GGML_TYPE_I32, {n});
  built_.out_ids = g.input("inp_out_ids", GGML_TYPE_I32, {static_cast<int64_t>(built_.n_out_ids)});
  const ForwardInputs in{.graph = &g,
                         .tokens = built_.tokens,
                         .positions = built_.positions,
                         .out_ids = built_.out_ids,
                         .kv = &built_.kv};
  built_.logits = model_->forward(in);
  g.output(built_.logits);
  ++graph_builds_;
  log::at(log::Level::kTrace, "decode graph: {} nodes for {} tokens in {} run(s), {} cells",
          ggml_graph_n_nodes(g.cgraph()), n, built_.kv.runs().size(), built_.kv.n_kv());
}

Status Context::check_seq(int32_t seq) const {
  if (seq >= 0 && seq < opt_.n_seq) return {};
  return make_error(Errc::kInvalidArgument,
                    fmt::format("sequence id {} is outside 0..{}", seq, opt_.n_seq - 1));
}

Status Context::remove(int32_t seq, int32_t p0, int32_t p1) {
  CRIA_RETURN_IF_ERROR(check_seq(seq));
  if (p0 < 0 || (p1 >= 0 && p1 < p0)) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("bad position range [{}, {}) to remove", p0, p1));
  }
  kv_.cells(seq).remove(seq, p0, p1);
  return {};
}

Status Context::copy_prefix(int32_t src, int32_t dst, int32_t n) {
  CRIA_RETURN_IF_ERROR(check_seq(src));
  CRIA_RETURN_IF_ERROR(check_seq(dst));
  if (n < 0) return make_error(Errc::kInvalidArgument, "negative prefix length");
  CRIA_RETURN_IF_ERROR(apply_shifts());  // a copy takes the keys as they are
  return kv_.copy_prefix(src, dst, n);
}

Status Context::shift_context(int32_t seq, int32_t n_keep, int32_t n_discard) {
  CRIA_RETURN_IF_ERROR(check_seq(seq));
  if (n_keep < 0 || n_discard < 0) {
    return make_error(Errc::kInvalidArgument,
                      fmt::format("bad context shift: keep {}, discard {}", n_keep, n_discard));
  }
  if (n_discard == 0) return {};
  KvCells& cells = kv_.cells(seq);
  cells.remove(seq, n_keep, n_keep + n_discard);
  cells.shift(seq, n_keep + n_discard, -1, -n_discard);
  return {};
}

Status Context::apply_shifts() {
  if (!kv_.has_shift()) return {};
  graph_.reset();
  backend::Graph& g = graph_;
  const KvShift shift = kv_.shift(g);
  bool any = false;
  for (int il = 0; il < info().n_layer; ++il) {
    ggml_tensor* keys = shift.keys(g.ctx(), il);
    ggml_tensor* rotated = model_->shift_keys(g.ctx(), keys, shift.deltas(), il);
    if (rotated == keys) continue;  // this layer's keys carry no position
    shift.store(g, il, rotated);
    any = true;
  }
  if (any) CRIA_RETURN_IF_ERROR(compute_.compute(g));
  kv_.clear_shifts();
  return {};
}

backend::MemoryReport Context::memory() const {
  backend::MemoryReport report;
  model_->weights().account(report);
  kv_.account(report);
  compute_.account(report);
  return report;
}

}  // namespace cria::engine
