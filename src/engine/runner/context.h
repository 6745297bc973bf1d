// A model loaded for inference in this process: weights, compute backends, the KV cache and
// a graph reserved for the worst case, and decode() to run a batch of tokens through it.
//
//   auto ctx = Context::open("model.gguf", {.n_ctx = 512});
//   std::vector<int32_t> tokens = {1, 403, 407};
//   auto logits = (*ctx)->decode({.tokens = tokens});   // the last token's logits
//   int next = argmax(logits->row(0));
//   logits = (*ctx)->decode({.tokens = {&next, 1}});    // continues sequence 0
//
// One batch at a time; a batch may hold tokens of many sequences (the runner's Batcher
// builds such batches: continuous batching). After the first decode nothing is allocated
// per token: the graph's metadata, the inputs and the logits buffer are reused.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "backend/compute.h"
#include "backend/graph.h"
#include "backend/memory.h"
#include "base/result.h"
#include "engine/kv/kv_cache.h"
#include "engine/models/model.h"
#include "gguf/reader.h"

namespace cria::engine {

struct ContextOptions {
  int32_t n_ctx = 4096;   // KV cells; 0: the model's training context
  int32_t n_batch = 512;  // tokens per graph; longer batches are cut into chunks
  int32_t n_seq = 1;      // sequence ids 0..n_seq-1 share the cache
  int n_threads = 0;      // CPU threads; 0: one per physical core
  // Repack matmul weights into the CPU's interleaved layouts (llama.cpp's default).
  bool cpu_repack = true;
  bool use_mmap = true;
  // K/V types: F16, or Q8_0/Q4_0 (which need flash_attention).
  ggml_type kv_type = GGML_TYPE_F16;
  bool flash_attention = false;
  // One KV stream of n_ctx / n_seq cells per sequence (see KvCache): a token attends only
  // its own sequence's cells, and copy_prefix copies cells instead of sharing them. A batch
  // is then run in parts that each cover consecutive sequences with as many tokens each.
  // Ignored for one sequence and for embedding models. n_ctx must be a multiple of n_seq.
  bool kv_streams = false;
  // Run the previous chunk's graph again, without building or allocating it, when the next
  // chunk has the same shape (tokens, outputs, attended cells): only its inputs change.
  bool graph_reuse = true;
};

// One decode call: token i at positions[i] of sequence seq_ids[i].
struct Batch {
  std::span<const int32_t> tokens = {};
  // Empty: each token goes after the last position of its sequence.
  std::span<const int32_t> positions = {};
  // Empty: every token is in sequence 0.
  std::span<const int32_t> seq_ids = {};
  // Non-zero where the token's logits are wanted. Empty: only the last token's.
  std::span<const uint8_t> want_logits = {};
};

// The logits of the tokens that asked for them, in batch order. Valid until the next decode.
// An embedding model's rows are its final hidden states instead (n_vocab is then n_embd).
struct Logits {
  std::span<const float> data;  // n_rows * n_vocab
  int32_t n_rows = 0;
  int32_t n_vocab = 0;

  std::span<const float> row(int32_t i) const {
    return data.subspan(static_cast<size_t>(i) * static_cast<size_t>(n_vocab),
                        static_cast<size_t>(n_vocab));
  }
};

class Context {
 public:
  static Result<std::unique_ptr<Context>> open(const std::string& path,
                                               const ContextOptions& options = {});
  static Result<std::unique_ptr<Context>> create(std::shared_ptr<const gguf::File> file,
                                                 const ContextOptions& options = {});
  // Around a model loaded already (engine::load_model, with the same use_mmap and
  // cpu_repack), for a caller that chooses the options from the model's info.
  static Result<std::unique_ptr<Context>> create(std::unique_ptr<Model> model,
                                                 const ContextOptions& options = {});

  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // Runs the batch (in chunks of n_batch tokens) and returns the logits it asked for.
  // Errors: bad token, sequence or position (kInvalidArgument), a full cache (kOutOfMemory).
  Result<Logits> decode(const Batch& batch);

  // An embedding model's pooled vector for each input (not normalised), n_embd floats
  // each. Inputs go through the model together, as many per forward pass as fit n_batch
  // tokens and n_seq sequences; each must fit one pass (at most n_batch tokens, else
  // kInvalidArgument). Uses and then forgets sequences 0..n_seq-1.
  Result<std::vector<std::vector<float>>> embed(std::span<const std::vector<int32_t>> inputs);

  // ---- Sequence edits (cancel, context shift, prefix reuse) ----
  // Drops positions [p0, p1) of seq (p1 < 0: to the end).
  Status remove(int32_t seq, int32_t p0, int32_t p1);
  // dst becomes the first n positions of src, sharing its cells (nothing is copied), or with
  // kv_streams copying them into dst's stream (kOutOfMemory when they do not fit).
  Status copy_prefix(int32_t src, int32_t dst, int32_t n);
  // Context shift: drops positions [n_keep, n_keep + n_discard) of seq and moves the later
  // ones back by n_discard; the next decode continues after them. Cells shared with other
  // sequences (copy_prefix) move for those too. The cached keys are rotated to their new
  // positions by apply_shifts, which the next decode runs first.
  Status shift_context(int32_t seq, int32_t n_keep, int32_t n_discard);
  // Rotates the cached keys of every cell whose position moved (shift_context, or
  // kv().cells().shift) by the model's RoPE; nothing when no position moved.
  Status apply_shifts();

  const Model& model() const { return *model_; }
  const ModelInfo& info() const { return model_->info(); }
  const ContextOptions& options() const { return opt_; }
  // The cache; its cells can also be edited directly (kv().cells(seq).shift, ...).
  KvCache& kv() { return kv_; }
  // Forgets every sequence.
  void clear() { kv_.clear(); }
  // Weights, KV and compute buffers per device.
  backend::MemoryReport memory() const;
  // Decode graphs built so far; a chunk that reused the previous graph adds none.
  int64_t graph_builds() const { return graph_builds_; }

 private:
  Context(std::unique_ptr<Model> model, backend::Compute compute, KvCache kv,
          const ContextOptions& options);
  Status reserve();
  Status check(const Batch& batch) const;
  Status check_seq(int32_t seq) const;
  // Fills positions_, seqs_, wanted_ and out_row_ for the whole batch.
  void prepare(const Batch& batch);
  // The batch's tokens in chunks of at most n_batch: in order when the cache is unified,
  // else sorted by stream (KvCache::take's layout; each group of consecutive streams with
  // as many tokens is one attention op). Each call puts the next chunk's batch indices in
  // chunk_; false when none is left.
  void start_chunks();
  bool next_chunk();
  // Runs the tokens chunk_ names; their logits go to their rows (out_row_) of logits_.
  Status decode_chunk(std::span<const int32_t> tokens);
  void read_logits(int64_t n_out);
  // Whether the graph of the last chunk fits one of n tokens, out_ids_ and the runs
  // (streams, tokens, cells) the cache took.
  bool can_reuse(int64_t n) const;
  // Embeds inputs [begin, end) in one forward pass, appending their pooled vectors to out.
  Status embed_group(std::span<const std::vector<int32_t>> inputs, size_t begin, size_t end,
                     std::vector<std::vector<float>>& out);
  // Builds the graph of a chunk whose cells kv_.take() took, into graph_ and built_.
  void build(int64_t n, std::span<const int32_t> pos, std::span<const int32_t> seqs);

  // The last decode graph: its inputs, logits and shape, for can_reuse.
  struct Built {
    uint64_t graph_id = 0;  // backend::Graph::id(); 0: none
    int64_t n_tokens = 0;
    size_t n_out_ids = 0;
    KvBatch kv;
    ggml_tensor* tokens = nullptr;
    ggml_tensor* positions = nullptr;
    ggml_tensor* out_ids = nullptr;
    ggml_tensor* logits = nullptr;
  };

  ContextOptions opt_;
  std::unique_ptr<Model> model_;
  backend::Compute compute_;
  KvCache kv_;
  backend::Graph graph_;
  Built built_;
  int64_t graph_builds_ = 0;
  // Reused from batch to batch.
  std::vector<int32_t> positions_;
  std::vector<int32_t> seqs_;
  std::vector<uint8_t> wanted_;
  std::vector<int32_t> out_ids_;
  std::vector<int32_t> next_pos_;  // per sequence, while positions are assigned
  std::vector<int32_t> out_row_;   // per batch token: its row of logits_, -1: none
  // Chunking (start_chunks): batch indices by stream, the counting sort's offsets per
  // stream, where the next chunk starts, and the current chunk's indices, tokens, positions
  // and sequences.
  std::vector<int32_t> order_, stream_at_;
  size_t chunk_at_ = 0;
  std::vector<int32_t> chunk_, chunk_tokens_, chunk_pos_, chunk_seqs_;
  std::vector<float> logits_;
};

}  // namespace cria::engine
