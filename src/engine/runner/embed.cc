// Context::embed: pooling an embedding model's hidden states per input.
#include <algorithm>

#include <fmt/format.h>

#include "engine/runner/context.h"

namespace cria::engine {

namespace {

// rows: the hidden states of one input's tokens, n_embd each, in position order.
std::vector<float> pool(Pooling pooling, std::span<const float> rows, size_t n_embd) {
  const size_t n = rows.size() / n_embd;
  std::vector<float> v(n_embd, 0.0f);
  if (pooling == Pooling::kCls || pooling == Pooling::kLast) {
    const size_t i = pooling == Pooling::kCls ? 0 : n - 1;
    std::copy_n(rows.begin() + static_cast<std::ptrdiff_t>(i * n_embd), n_embd, v.begin());
    return v;
  }
  for (size_t t = 0; t < n; ++t) {
    for (size_t j = 0; j < n_embd; ++j) v[j] += rows[t * n_embd + j];
  }
  for (float& x : v) x /= static_cast<float>(n);
  return v;
}

}  // namespace

Result<std::vector<std::vector<float>>> Context::embed(
    std::span<const std::vector<int32_t>> inputs) {
  if (!info().is_embedding()) {
    return make_error(Errc::kUnsupported,
                      fmt::format("this model ({}) does not produce embeddings", info().arch));
  }
  // Absolute position embeddings end at the training context.
  const auto max_tokens = static_cast<size_t>(
      info().n_ctx_train > 0 ? std::min(opt_.n_batch, info().n_ctx_train) : opt_.n_batch);
  for (const auto& in : inputs) {
    if (in.empty()) return make_error(Errc::kInvalidArgument, "an input to embed is empty");
    if (in.size() > max_tokens) {
      return make_error(
          Errc::kInvalidArgument,
          fmt::format(
              "an input of {} tokens is longer than the model takes in one pass ({} tokens)",
              in.size(), max_tokens));
    }
  }
  std::vector<std::vector<float>> out;
  out.reserve(inputs.size());
  size_t begin = 0;
  while (begin < inputs.size()) {
    size_t end = begin, tokens = 0;
    while (end < inputs.size() && end - begin < static_cast<size_t>(opt_.n_seq) &&
           tokens + inputs[end].size() <= max_tokens) {
      tokens += inputs[end++].size();
    }
    const Status s = embed_group(inputs, begin, end, out);
    for (int32_t seq = 0; seq < opt_.n_seq; ++seq) kv_.cells(seq).remove(seq, 0, -1);
    CRIA_RETURN_IF_ERROR(s);
    begin = end;
  }
  return out;
}

Status Context::embed_group(std::span<const std::vector<int32_t>> inputs, size_t begin, size_t end,
                            std::vector<std::vector<float>>& out) {
  std::vector<int32_t> tokens, positions, seqs;
  for (size_t i = begin; i < end; ++i) {
    const auto seq = static_cast<int32_t>(i - begin);
    for (size_t p = 0; p < inputs[i].size(); ++p) {
      tokens.push_back(inputs[i][p]);
      positions.push_back(static_cast<int32_t>(p));
      seqs.push_back(seq);
    }
  }
  for (int32_t seq = 0; seq < opt_.n_seq; ++seq) kv_.cells(seq).remove(seq, 0, -1);
  const std::vector<uint8_t> all(tokens.size(), 1);
  CRIA_ASSIGN_OR_RETURN(
      Logits hidden,
      decode({.tokens = tokens, .positions = positions, .seq_ids = seqs, .want_logits = all}));
  const auto n_embd = static_cast<size_t>(hidden.n_vocab);
  size_t row = 0;
  for (size_t i = begin; i < end; ++i) {
    const size_t n = inputs[i].size();
    out.push_back(pool(info().pooling, hidden.data.subspan(row * n_embd, n * n_embd), n_embd));
    row += n;
  }
  return {};
}

}  // namespace cria::engine
