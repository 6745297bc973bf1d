// Declaring an architecture's hyper-parameters and tensors once, and loading and checking
// them from that declaration.
//
//   MetadataTable md(file, "llama");
//   md.required("block_count", hp.n_layer);          // llama.block_count
//   md.optional("rope.freq_base", hp.rope.freq_base);
//   CRIA_RETURN_IF_ERROR(md.status());
//
//   TensorTable tt;
//   tt.add(w.token_embd, "token_embd.weight", {n_embd, n_vocab});
//   tt.add(l.wq, fmt::format("blk.{}.attn_q.weight", i), {n_embd, n_embd}, {.matmul = true});
//   CRIA_RETURN_IF_ERROR(tt.check(file));            // names and shapes, before loading
//   ... Weights::load(file, {.is_matmul_weight = tt.matmul_predicate()}) ...
//   CRIA_RETURN_IF_ERROR(tt.bind(weights));          // fills w.token_embd, l.wq, ...
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include <ggml.h>

#include "backend/weights.h"
#include "base/result.h"
#include "gguf/reader.h"

namespace cria::engine {

// Reads "<arch>.<key>" values; the first failure is kept and reported by status().
class MetadataTable {
 public:
  MetadataTable(const gguf::File& file, std::string_view arch) : file_(file), arch_(arch) {}

  void required(std::string_view key, int32_t& out) { read(key, out, true); }
  void required(std::string_view key, float& out) { read(key, out, true); }
  // Leaves `out` as it is when the key is absent.
  void optional(std::string_view key, int32_t& out) { read(key, out, false); }
  void optional(std::string_view key, float& out) { read(key, out, false); }
  void optional(std::string_view key, bool& out) { read(key, out, false); }
  void optional(std::string_view key, std::string& out) { read(key, out, false); }

  bool has(std::string_view key) const;
  // The first error: "<file>: missing metadata key 'llama.block_count'", wrong type, range.
  Status status() const;

 private:
  std::string full_key(std::string_view key) const;
  template <class T>
  void read(std::string_view key, T& out, bool required);
  void fail(Error error);

  const gguf::File& file_;
  std::string arch_;
  Error error_;
  bool ok_ = true;
};

struct TensorFlags {
  bool optional = false;  // may be absent; its slot stays nullptr
  bool matmul = false;    // only ever the first operand of mul_mat (may be repacked)
};

// The tensors an architecture uses, each with the slot it goes into and its expected shape.
class TensorTable {
 public:
  // `ne` in ggml order (ne0 first).
  void add(ggml_tensor*& slot, std::string name, std::initializer_list<int64_t> ne,
           TensorFlags flags = {});

  // Every required tensor is in `file` and every present one has its shape:
  // "tensor 'blk.0.attn_q.weight' has shape [64 32], expected [64 64]".
  Status check(const gguf::File& file) const;
  // For WeightsOptions::is_matmul_weight: the tensors declared with `matmul`.
  std::function<bool(const gguf::TensorInfo&)> matmul_predicate() const;
  // Points every slot at its tensor in `weights` (absent optional ones at nullptr).
  Status bind(const backend::Weights& weights) const;

 private:
  struct Decl {
    ggml_tensor** slot;
    std::string name;
    std::vector<int64_t> ne;
    TensorFlags flags;
  };
  std::vector<Decl> decls_;
};

}  // namespace cria::engine
