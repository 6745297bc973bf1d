// What the scheduler needs from a loaded model, behind an interface so that the
// scheduler is tested with fake runners (no processes, no ggml).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "api/options.h"
#include "base/result.h"

namespace cria::sched {

using api::Json;

// What to load: a model file with its load-time options.
struct LoadSpec {
  std::string name;              // the model name requests use ("llama3:latest")
  std::string model_path;        // the GGUF file
  std::string digest;            // the manifest digest, shown by /api/ps
  api::Options options;          // num_ctx, num_batch, num_thread, use_mmap matter here
  int num_parallel = 1;          // sequences served at once (OLLAMA_NUM_PARALLEL); num_ctx each
  uint64_t estimated_bytes = 0;  // memory the loaded model needs; 0 = unknown (no check)

  // Whether a runner loaded for `other` can serve this spec without a reload.
  bool same_load(const LoadSpec& other) const;
};

// Receives each NDJSON object a completion streams; false cancels it.
using ChunkFn = std::function<bool(const Json& chunk)>;

class Runner {
 public:
  virtual ~Runner() = default;
  // Streams a completion request ({"prompt","context","options"}) to on_chunk.
  // Errors: the runner died or answered with an error (kUnavailable / kInternal).
  virtual Status complete(const Json& request, const ChunkFn& on_chunk) = 0;
  // An embedding model's pooled vectors: {"inputs": [texts], "truncate": bool} →
  // {"embeddings": [[...]], "prompt_eval_count": n}. kInvalidArgument for a request the
  // runner refuses (a language model, an input too long without truncate).
  virtual Result<Json> embed(const Json& request) = 0;
  virtual Result<std::vector<int32_t>> tokenize(const std::string& text, bool add_special) = 0;
  virtual Result<std::string> detokenize(const std::vector<int32_t>& tokens) = 0;
  // False once the runner process has exited.
  virtual bool alive() = 0;
  // Bytes of weights, KV cache and compute buffers.
  virtual uint64_t memory_bytes() const = 0;
  virtual int64_t context_length() const = 0;
};

class RunnerFactory {
 public:
  virtual ~RunnerFactory() = default;
  // Loads the model and returns once it is ready to serve, or the reason it failed.
  virtual Result<std::unique_ptr<Runner>> start(const LoadSpec& spec) = 0;
};

}  // namespace cria::sched
