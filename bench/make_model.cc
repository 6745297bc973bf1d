// make_model: writes a GGUF of a benchmark preset (real shapes, seeded random
// weights) in F16, Q8_0, Q4_0 or Q4_K_M, using our GGUF writer and ggml's
// quantization. Random weights decode at the same speed as trained ones.
//
//   make_model --preset smollm2-135m --type Q8_0 --out smollm2-q8_0.gguf [--seed 1]
//              [--arch llama|qwen2] [--shared DIR]
//   make_model --list
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <fmt/core.h>
#include <ggml.h>

#include "base/result.h"
#include "gguf/reader.h"
#include "gguf/writer.h"
#include "model_presets.h"

namespace cria::bench {
namespace {

struct Args {
  std::string preset, type = "Q8_0", out, arch, shared = "../shared";
  uint64_t seed = 1;
};

struct FileType {
  const char* name;
  uint32_t file_type;  // general.file_type
  ggml_type base;      // most matrices
};

constexpr FileType kFileTypes[] = {{"F16", 1, GGML_TYPE_F16},
                                   {"Q8_0", 7, GGML_TYPE_Q8_0},
                                   {"Q4_0", 2, GGML_TYPE_Q4_0},
                                   {"Q4_K_M", 15, GGML_TYPE_Q4_K}};

// llama.cpp's rule for the layers that get more bits in *_K_M files.
bool use_more_bits(int i_layer, int n_layer) {
  return i_layer < n_layer / 8 || i_layer >= 7 * n_layer / 8 || (i_layer - n_layer / 8) % 3 == 2;
}

// Rows whose length is not a multiple of the K-quant block fall back as llama-quantize does.
ggml_type fit_row(ggml_type t, int64_t ncols) {
  if (ncols % ggml_blck_size(t) == 0) return t;
  switch (t) {
    case GGML_TYPE_Q4_K:
      return GGML_TYPE_Q5_0;
    case GGML_TYPE_Q6_K:
      return GGML_TYPE_Q8_0;
    default:
      return GGML_TYPE_F16;
  }
}

// role: "output" (incl. a tied token_embd), "attn_v", "ffn_down", "embd" or "other".
ggml_type pick_type(const FileType& ft, const std::string& role, int il, int n_layer,
                    int64_t ncols) {
  ggml_type t = ft.base;
  const bool low_bits = ft.base == GGML_TYPE_Q4_0 || ft.base == GGML_TYPE_Q4_K;
  if (role == "output" && low_bits) t = GGML_TYPE_Q6_K;
  if ((role == "attn_v" || role == "ffn_down") && ft.base == GGML_TYPE_Q4_K &&
      use_more_bits(il, n_layer)) {
    t = GGML_TYPE_Q6_K;
  }
  return fit_row(t, ncols);
}

// Deterministic per tensor: splitmix64 seeded from (seed, name).
class Rng {
 public:
  Rng(uint64_t seed, const std::string& name) : s_(seed * 0x9E3779B97F4A7C15ULL) {
    for (char c : name) s_ = (s_ ^ static_cast<uint8_t>(c)) * 0x100000001B3ULL;
  }
  float uniform() {  // [-1, 1)
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return static_cast<float>(z >> 40) / static_cast<float>(1ULL << 23) - 1.0f;
  }

 private:
  uint64_t s_;
};

std::vector<uint8_t> encode(const std::vector<float>& x, ggml_type type, int64_t ncols) {
  const int64_t nrows = static_cast<int64_t>(x.size()) / ncols;
  std::vector<uint8_t> out(ggml_row_size(type, ncols) * static_cast<size_t>(nrows));
  if (type == GGML_TYPE_F32) {
    std::memcpy(out.data(), x.data(), out.size());
  } else if (type == GGML_TYPE_F16) {
    ggml_fp32_to_fp16_row(x.data(), reinterpret_cast<ggml_fp16_t*>(out.data()),
                          static_cast<int64_t>(x.size()));
  } else {
    ggml_quantize_chunk(type, x.data(), out.data(), 0, nrows, ncols, nullptr);
  }
  return out;
}

struct TensorPlan {
  std::string name;
  std::vector<int64_t> shape;  // ggml order
  std::string role;
  int layer = -1;
  bool norm = false;  // 1-D F32, values near 1
};

std::vector<TensorPlan> plan(const ModelPreset& p) {
  const int64_t hd = p.n_embd / p.n_head, e = p.n_embd, kv = hd * p.n_head_kv;
  std::vector<TensorPlan> t = {
      {"token_embd.weight", {e, p.n_vocab}, p.tied_output ? "output" : "embd"},
      {"output_norm.weight", {e}, "norm", -1, true}};
  if (!p.tied_output) t.push_back({"output.weight", {e, p.n_vocab}, "output"});
  for (int il = 0; il < p.n_layer; ++il) {
    auto blk = [&](const char* n) { return fmt::format("blk.{}.{}", il, n); };
    t.push_back({blk("attn_norm.weight"), {e}, "norm", il, true});
    t.push_back({blk("attn_q.weight"), {e, e}, "other", il});
    t.push_back({blk("attn_k.weight"), {e, kv}, "other", il});
    t.push_back({blk("attn_v.weight"), {e, kv}, "attn_v", il});
    if (p.arch == "qwen2") {
      t.push_back({blk("attn_q.bias"), {e}, "bias", il, true});
      t.push_back({blk("attn_k.bias"), {kv}, "bias", il, true});
      t.push_back({blk("attn_v.bias"), {kv}, "bias", il, true});
    }
    t.push_back({blk("attn_output.weight"), {e, e}, "other", il});
    t.push_back({blk("ffn_norm.weight"), {e}, "norm", il, true});
    t.push_back({blk("ffn_gate.weight"), {e, p.n_ff}, "other", il});
    t.push_back({blk("ffn_up.weight"), {e, p.n_ff}, "other", il});
    t.push_back({blk("ffn_down.weight"), {p.n_ff, e}, "ffn_down", il});
  }
  return t;
}

std::vector<float> random_values(const TensorPlan& t, uint64_t seed) {
  int64_t n = 1;
  for (int64_t d : t.shape) n *= d;
  std::vector<float> x(static_cast<size_t>(n));
  Rng rng(seed, t.name);
  // Uniform with std 1/sqrt(n_in) (sqrt(3) turns [-1,1) into unit variance).
  const float scale = t.norm ? 0.1f : std::sqrt(3.0f / static_cast<float>(t.shape[0]));
  const float offset = t.role == "norm" ? 1.0f : 0.0f;
  for (auto& v : x) v = offset + scale * rng.uniform();
  return x;
}

void set_metadata(gguf::Writer& w, const ModelPreset& p, const FileType& ft) {
  const std::string a = p.arch;
  w.set("general.architecture", a);
  w.set("general.name", fmt::format("cria-bench {} {}", p.name, ft.name));
  w.set("general.file_type", ft.file_type);
  w.set("general.quantization_version", uint32_t{2});
  w.set(a + ".context_length", static_cast<uint32_t>(p.n_ctx));
  w.set(a + ".embedding_length", static_cast<uint32_t>(p.n_embd));
  w.set(a + ".block_count", static_cast<uint32_t>(p.n_layer));
  w.set(a + ".feed_forward_length", static_cast<uint32_t>(p.n_ff));
  w.set(a + ".attention.head_count", static_cast<uint32_t>(p.n_head));
  w.set(a + ".attention.head_count_kv", static_cast<uint32_t>(p.n_head_kv));
  w.set(a + ".attention.layer_norm_rms_epsilon", p.rms_eps);
  w.set(a + ".rope.freq_base", p.rope_base);
  w.set(a + ".rope.dimension_count", static_cast<uint32_t>(p.n_embd / p.n_head));
  w.set(a + ".vocab_size", static_cast<uint32_t>(p.n_vocab));
}

// A SentencePiece vocabulary of the right size: control tokens, 256 byte tokens, pieces.
void set_synthetic_vocab(gguf::Writer& w, int n_vocab) {
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  for (int b = 0; b < 256; ++b) tokens.push_back(fmt::format("<0x{:02X}>", b)), types.push_back(6);
  while (static_cast<int>(tokens.size()) < n_vocab) {
    tokens.push_back(fmt::format("\xE2\x96\x81t{}", tokens.size())), types.push_back(1);
  }
  std::vector<float> scores(tokens.size());
  for (size_t i = 0; i < scores.size(); ++i) scores[i] = -static_cast<float>(i);
  w.set("tokenizer.ggml.model", "llama");
  w.set("tokenizer.ggml.tokens", gguf::make_array(tokens));
  w.set("tokenizer.ggml.scores", gguf::make_array(scores));
  w.set("tokenizer.ggml.token_type", gguf::make_array(types));
  w.set("tokenizer.ggml.bos_token_id", uint32_t{1});
  w.set("tokenizer.ggml.eos_token_id", uint32_t{2});
  w.set("tokenizer.ggml.unknown_token_id", uint32_t{0});
}

Status set_vocab(gguf::Writer& w, const ModelPreset& p, const std::string& shared) {
  if (p.vocab_file.empty()) {
    set_synthetic_vocab(w, p.n_vocab);
    return {};
  }
  const std::string path = shared + "/models/vocab/" + p.vocab_file;
  CRIA_ASSIGN_OR_RETURN(auto vocab, gguf::File::open(path));
  for (const auto& kv : vocab.metadata()) {
    if (kv.key.starts_with("tokenizer.")) w.set(std::string(kv.key), gguf::to_owned(kv.value));
  }
  return {};
}

Status make_model(const Args& args) {
  auto preset = find_preset(args.preset);
  if (!preset) return make_error(Errc::kInvalidArgument, "unknown preset " + args.preset);
  if (!args.arch.empty()) preset->arch = args.arch;
  const FileType* ft = nullptr;
  for (const auto& f : kFileTypes) {
    if (args.type == f.name) ft = &f;
  }
  if (ft == nullptr) return make_error(Errc::kInvalidArgument, "unknown --type " + args.type);
  gguf::Writer w;
  set_metadata(w, *preset, *ft);
  CRIA_RETURN_IF_ERROR(set_vocab(w, *preset, args.shared));
  for (const auto& t : plan(*preset)) {
    const ggml_type type =
        t.norm ? GGML_TYPE_F32 : pick_type(*ft, t.role, t.layer, preset->n_layer, t.shape[0]);
    auto bytes = encode(random_values(t, args.seed), type, t.shape[0]);
    CRIA_RETURN_IF_ERROR(
        w.add_tensor({t.name, static_cast<gguf::TensorType>(type), t.shape}, std::move(bytes)));
  }
  return w.write(args.out);
}

int usage() {
  std::fprintf(stderr,
               "usage: make_model --preset NAME --type F16|Q8_0|Q4_0|Q4_K_M --out FILE "
               "[--seed N] [--arch llama|qwen2] [--shared DIR]\n       make_model --list\n");
  return 2;
}

}  // namespace
}  // namespace cria::bench

int main(int argc, char** argv) {
  using namespace cria::bench;
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--list") {
      for (const auto& p : presets()) {
        std::printf("%-14s %-6s layers %-3d embd %-5d heads %d/%d ff %-5d vocab %d\n",
                    p.name.c_str(), p.arch.c_str(), p.n_layer, p.n_embd, p.n_head, p.n_head_kv,
                    p.n_ff, p.n_vocab);
      }
      return 0;
    }
    if (a == "--preset")
      args.preset = next();
    else if (a == "--type")
      args.type = next();
    else if (a == "--out")
      args.out = next();
    else if (a == "--arch")
      args.arch = next();
    else if (a == "--shared")
      args.shared = next();
    else if (a == "--seed") {
      const std::string v = next();
      char* end = nullptr;
      args.seed = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0') return usage();
    } else
      return usage();
  }
  if (args.preset.empty() || args.out.empty()) return usage();
  cria::Status st = make_model(args);
  if (!st.ok()) {
    std::fprintf(stderr, "make_model: %s\n", st.error().message.c_str());
    return 1;
  }
  std::printf("wrote %s (%s, %s)\n", args.out.c_str(), args.preset.c_str(), args.type.c_str());
  return 0;
}
