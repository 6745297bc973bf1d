#include "quantize/tensor_rules.h"

#include <algorithm>
#include <charconv>
#include <numeric>

#include <fmt/core.h>

namespace cria::quantize {

namespace {

// Weights that keep their type (llama.cpp: tensor_allows_quantization).
constexpr std::string_view kKeepIfContains[] = {
    "_norm.weight",
    "ffn_gate_inp.weight",
    "ffn_gate_tid2eid.weight",
    "altup",
    "laurel",
    "per_layer_model_proj",
    "ssm_conv1d",
    "shortconv.conv.weight",
    "indexer.k_proj.weight",
    "indexer.q_proj.weight",
    "time_mix_first.weight",
    "time_mix_w0.weight",
    "time_mix_w1.weight",
    "time_mix_w2.weight",
    "time_mix_v0.weight",
    "time_mix_v1.weight",
    "time_mix_v2.weight",
    "time_mix_a0.weight",
    "time_mix_a1.weight",
    "time_mix_a2.weight",
    "time_mix_g1.weight",
    "time_mix_g2.weight",
    "time_mix_decay_w1.weight",
    "time_mix_decay_w2.weight",
    "time_mix_lerp_fused.weight",
    "attn_rel_b.weight",
    ".position_embd",
    "sam.pos_embd",
    "sam.neck.",
    "sam.net_",
    ".rel_pos",
    ".patch_embd",
    ".patch_merger",
    "a.rvq.codebook",
    "mm.a.code_embd",
};
constexpr std::string_view kKeepNamed[] = {"position_embd.weight", "token_types.weight"};

// Roles by name fragment, first match wins (llama.cpp: tensor_get_category).
struct RoleName {
  std::string_view fragment;
  Role role;
};
constexpr RoleName kRoleNames[] = {
    {"attn_qkv.weight", Role::kAttnV}, {"attn_kv_b.weight", Role::kAttnV},
    {"attn_v.weight", Role::kAttnV},   {"attn_k.weight", Role::kAttnK},
    {"attn_q.weight", Role::kAttnQ},   {"attn_output.weight", Role::kAttnOutput},
    {"ffn_up", Role::kFfnUp},          {"ffn_gate", Role::kFfnGate},
    {"ffn_down", Role::kFfnDown},
};

// Which models a rule applies to.
enum class Where : uint8_t {
  kAny,
  kFalcon,
  kNotFalcon,
  kDense,         // not falcon, and not 8 experts
  kEightExperts,  // not falcon, 8 experts
};

// Which layers a rule applies to; i is the layer (attn_v: the attn_v tensor's
// index), n the count.
enum class When : uint8_t {
  kAlways,
  kMoreBits,        // use_more_bits(i, n)
  kBelow2,          // i < 2
  kBelow4,          // i < 4
  kFirstEighth,     // i < n / 8
  kFirstSixteenth,  // i < n / 16
  kGroupsAtLeast4,  // n_head / n_head_kv >= 4
};

struct Rule {
  Mix mix;
  Role role;
  Where where;
  When when;
  gguf::TensorType type;
};

// For a (mix, role) the first rule that holds gives the type; none: the mix's base type.
constexpr Rule kRules[] = {
    // attn_v (also attn_qkv, attn_kv_b)
    {Mix::kQ2_K, Role::kAttnV, Where::kAny, When::kGroupsAtLeast4, kTypeQ4_K},
    {Mix::kQ2_K, Role::kAttnV, Where::kAny, When::kAlways, kTypeQ3_K},
    {Mix::kQ3_K_M, Role::kAttnV, Where::kAny, When::kBelow2, kTypeQ5_K},
    {Mix::kQ3_K_M, Role::kAttnV, Where::kAny, When::kAlways, kTypeQ4_K},
    {Mix::kQ3_K_L, Role::kAttnV, Where::kAny, When::kAlways, kTypeQ5_K},
    {Mix::kQ4_K_M, Role::kAttnV, Where::kAny, When::kMoreBits, kTypeQ6_K},
    {Mix::kQ5_K_M, Role::kAttnV, Where::kAny, When::kMoreBits, kTypeQ6_K},
    {Mix::kQ4_K_S, Role::kAttnV, Where::kAny, When::kBelow4, kTypeQ5_K},
    // ffn_down
    {Mix::kQ2_K, Role::kFfnDown, Where::kAny, When::kAlways, kTypeQ3_K},
    {Mix::kQ3_K_M, Role::kFfnDown, Where::kAny, When::kFirstSixteenth, kTypeQ5_K},
    {Mix::kQ3_K_M, Role::kFfnDown, Where::kNotFalcon, When::kAlways, kTypeQ4_K},
    {Mix::kQ3_K_M, Role::kFfnDown, Where::kFalcon, When::kMoreBits, kTypeQ4_K},
    {Mix::kQ3_K_L, Role::kFfnDown, Where::kFalcon, When::kAlways, kTypeQ4_K},
    {Mix::kQ3_K_L, Role::kFfnDown, Where::kAny, When::kAlways, kTypeQ5_K},
    {Mix::kQ4_K_M, Role::kFfnDown, Where::kFalcon, When::kFirstSixteenth, kTypeQ6_K},
    {Mix::kQ4_K_M, Role::kFfnDown, Where::kFalcon, When::kMoreBits, kTypeQ5_K},
    {Mix::kQ4_K_M, Role::kFfnDown, Where::kNotFalcon, When::kMoreBits, kTypeQ6_K},
    {Mix::kQ5_K_M, Role::kFfnDown, Where::kAny, When::kMoreBits, kTypeQ6_K},
    {Mix::kQ4_K_S, Role::kFfnDown, Where::kNotFalcon, When::kFirstEighth, kTypeQ5_K},
    // attn_output
    {Mix::kQ2_K, Role::kAttnOutput, Where::kEightExperts, When::kAlways, kTypeQ5_K},
    {Mix::kQ3_K_S, Role::kAttnOutput, Where::kEightExperts, When::kAlways, kTypeQ5_K},
    {Mix::kQ3_K_M, Role::kAttnOutput, Where::kEightExperts, When::kAlways, kTypeQ5_K},
    {Mix::kQ4_K_S, Role::kAttnOutput, Where::kEightExperts, When::kAlways, kTypeQ5_K},
    {Mix::kQ4_K_M, Role::kAttnOutput, Where::kEightExperts, When::kAlways, kTypeQ5_K},
    {Mix::kQ2_K, Role::kAttnOutput, Where::kDense, When::kAlways, kTypeQ3_K},
    {Mix::kQ3_K_M, Role::kAttnOutput, Where::kDense, When::kAlways, kTypeQ4_K},
    {Mix::kQ3_K_L, Role::kAttnOutput, Where::kDense, When::kAlways, kTypeQ5_K},
    {Mix::kQ3_K_L, Role::kAttnOutput, Where::kFalcon, When::kAlways, kTypeQ4_K},
};

// Models whose attn_v gets Q5_K instead of Q3_K/Q4_K: llama.cpp's LLM_TYPE_70B.
struct SeventyB {
  std::string_view arch;
  uint32_t n_layer;
  bool needs_gqa;  // llama: 80 layers without grouped-query attention is the 65B
};
constexpr SeventyB kSeventyB[] = {
    {"llama", 80, true}, {"qwen2", 80, false}, {"deci", 80, false},
    {"olmo", 80, false}, {"jais2", 68, false},
};

uint32_t block_size(gguf::TensorType type) {
  const auto info = gguf::tensor_type_info(type);
  return info ? info->block_size : 1;
}

int n_dims(const TensorDesc& t) {
  int n = 1;
  for (int d = 1; d < 4; ++d) {
    if (t.ne[d] > 1) n = d + 1;
  }
  return n;
}

// "blk.<n>." → n, else -1.
int block_index(std::string_view name) {
  constexpr std::string_view kPrefix = "blk.";
  if (!name.starts_with(kPrefix)) return -1;
  int i = -1;
  const char* first = name.data() + kPrefix.size();
  const auto [end, ec] = std::from_chars(first, name.data() + name.size(), i);
  return ec == std::errc() && end != first ? i : -1;
}

struct State {
  const ModelShape& model;
  const FileType& target;
  bool falcon = false;
  bool tied_output = true;
  uint32_t n_gqa = 0;
  int n_attn_v = 0;
  int i_attn_v = 0;
  int i_ffn_down = 0;
  int i_ffn_gate = 0;
  int i_ffn_up = 0;
};

bool applies(Where where, const State& s) {
  const bool eight = s.model.n_expert == 8;
  switch (where) {
    case Where::kAny:
      return true;
    case Where::kFalcon:
      return s.falcon;
    case Where::kNotFalcon:
      return !s.falcon;
    case Where::kDense:
      return !s.falcon && !eight;
    case Where::kEightExperts:
      return !s.falcon && eight;
  }
  return false;
}

bool holds(When when, int i, int n, const State& s) {
  switch (when) {
    case When::kAlways:
      return true;
    case When::kMoreBits:
      return use_more_bits(i, n);
    case When::kBelow2:
      return i < 2;
    case When::kBelow4:
      return i < 4;
    case When::kFirstEighth:
      return i < n / 8;
    case When::kFirstSixteenth:
      return i < n / 16;
    case When::kGroupsAtLeast4:
      return s.n_gqa >= 4;
  }
  return false;
}

gguf::TensorType rule_type(Role role, int i, int n, const State& s) {
  for (const Rule& r : kRules) {
    if (r.mix == s.target.mix && r.role == role && applies(r.where, s) && holds(r.when, i, n, s))
      return r.type;
  }
  return s.target.base;
}

bool is_seventy_b(const ModelShape& m) {
  for (const auto& e : kSeventyB) {
    if (m.arch == e.arch && m.n_layer == e.n_layer && (!e.needs_gqa || m.n_head != m.n_head_kv))
      return true;
  }
  return false;
}

gguf::TensorType output_type(const TensorDesc& t, const State& s) {
  if (s.falcon || t.ne[0] % block_size(s.target.base) != 0) return kTypeQ8_0;
  return s.target.base == kTypeQ8_0 ? kTypeQ8_0 : kTypeQ6_K;
}

gguf::TensorType attn_v_type(State& s) {
  gguf::TensorType type = rule_type(Role::kAttnV, s.i_attn_v, s.n_attn_v, s);
  if (is_seventy_b(s.model) && (type == kTypeQ3_K || type == kTypeQ4_K)) type = kTypeQ5_K;
  if (s.model.n_expert == 8) type = kTypeQ8_0;
  ++s.i_attn_v;
  return type;
}

// The layer of an FFN tensor: its position among its kind, or for a mixture
// of experts (whose tensors are not in layer order) the number in its name.
Result<int> ffn_layer(const TensorDesc& t, int counter, const State& s) {
  if (s.model.n_expert <= 1) return counter;
  const int i = block_index(t.name);
  if (i < 0 || i >= static_cast<int>(s.model.n_layer)) {
    return make_error(Errc::kCorrupt, fmt::format("cannot tell the layer of tensor '{}' (the "
                                                  "model has {} layers)",
                                                  t.name, s.model.n_layer));
  }
  return i;
}

Result<gguf::TensorType> mix_type(const TensorDesc& t, State& s) {
  const Role role = tensor_role(t.name);
  if (role == Role::kOutput || (s.tied_output && role == Role::kTokenEmbd))
    return output_type(t, s);
  const int n_layer = static_cast<int>(s.model.n_layer);
  switch (role) {
    case Role::kAttnV:
      return attn_v_type(s);
    case Role::kAttnK:
      return s.model.n_expert == 8 ? kTypeQ8_0 : s.target.base;
    case Role::kAttnOutput:
      return rule_type(role, 0, 0, s);
    case Role::kFfnDown: {
      CRIA_ASSIGN_OR_RETURN(const int layer, ffn_layer(t, s.i_ffn_down, s));
      ++s.i_ffn_down;
      return rule_type(role, layer, n_layer, s);
    }
    case Role::kFfnGate:
    case Role::kFfnUp: {
      int& counter = role == Role::kFfnGate ? s.i_ffn_gate : s.i_ffn_up;
      CRIA_RETURN_IF_ERROR(ffn_layer(t, counter, s));
      ++counter;
      return s.target.base;
    }
    default:
      return s.target.base;
  }
}

// llama.cpp visits tensors by layer ("blk.N."; others first), then by name;
// the attn_v counter depends on that order.
std::vector<size_t> visiting_order(std::span<const TensorDesc> tensors) {
  std::vector<size_t> order(tensors.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const int la = block_index(tensors[a].name);
    const int lb = block_index(tensors[b].name);
    if (la != lb) return la < lb;
    return tensors[a].name < tensors[b].name;
  });
  return order;
}

}  // namespace

Role tensor_role(std::string_view name) {
  if (name == "output.weight") return Role::kOutput;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight") return Role::kTokenEmbd;
  for (const auto& rn : kRoleNames) {
    if (name.find(rn.fragment) != std::string_view::npos) return rn.role;
  }
  return Role::kOther;
}

bool may_quantize(const TensorDesc& t) {
  if (n_dims(t) < 2 || !t.name.ends_with("weight")) return false;
  for (std::string_view s : kKeepIfContains) {
    if (t.name.find(s) != std::string_view::npos) return false;
  }
  for (std::string_view s : kKeepNamed) {
    if (t.name == s) return false;
  }
  return true;
}

bool use_more_bits(int i_layer, int n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 || (i_layer - n_layers / 8) % 3 == 2;
}

TensorChoice fit_row_length(gguf::TensorType type, int64_t row_length) {
  if (row_length % block_size(type) == 0) return {type, false};
  gguf::TensorType smaller = type;  // a 32-block type has no smaller block to go to
  switch (type) {
    case kTypeQ2_K:
    case kTypeQ3_K:
      smaller = kTypeQ4_0;
      break;
    case kTypeQ4_K:
      smaller = kTypeQ5_0;
      break;
    case kTypeQ5_K:
      smaller = kTypeQ5_1;
      break;
    case kTypeQ6_K:
      smaller = kTypeQ8_0;
      break;
    default:
      break;
  }
  if (row_length % block_size(smaller) != 0) smaller = kTypeF16;
  return {smaller, true};
}

Result<std::vector<TensorChoice>> choose_tensor_types(std::span<const TensorDesc> tensors,
                                                      const ModelShape& model,
                                                      const FileType& target) {
  State s{model, target};
  s.falcon = model.arch == "falcon";
  s.n_gqa = model.n_head_kv == 0 ? 0 : model.n_head / model.n_head_kv;
  for (const auto& t : tensors) {
    const Role role = tensor_role(t.name);
    if (role == Role::kAttnV) ++s.n_attn_v;
    if (role == Role::kOutput) s.tied_output = false;
  }
  std::vector<TensorChoice> choices(tensors.size());
  for (size_t i : visiting_order(tensors)) {
    const TensorDesc& t = tensors[i];
    if (!may_quantize(t)) {
      choices[i] = {t.type, false};
      continue;
    }
    CRIA_ASSIGN_OR_RETURN(const gguf::TensorType type, mix_type(t, s));
    choices[i] = fit_row_length(type, t.ne[0]);
  }
  return choices;
}

}  // namespace cria::quantize
