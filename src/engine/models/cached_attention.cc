#include "engine/models/cached_attention.h"

namespace cria::engine {

ggml_tensor* cached_attention(ggml_context* ctx, const KvBatch& kv, ggml_tensor* q,
                              nn::AttentionOptions opt, int il) {
  opt.flash = kv.flash();
  opt.v_transposed = kv.v_transposed();
  const std::vector<KvRun>& runs = kv.runs();
  ggml_tensor* out = nullptr;
  for (size_t r = 0; r < runs.size(); ++r) {
    ggml_tensor* qr = q;
    if (runs.size() > 1) {
      const int64_t n = int64_t{runs[r].per} * runs[r].ns;
      qr = ggml_view_3d(ctx, q, q->ne[0], q->ne[1], n, q->nb[1], q->nb[2],
                        q->nb[2] * static_cast<size_t>(runs[r].first));
    }
    opt.mask = kv.mask(il, r);
    ggml_tensor* o = nn::attention(ctx, qr, kv.keys(ctx, il, r), kv.values(ctx, il, r), opt, il);
    out = out == nullptr ? o : ggml_concat(ctx, out, o, 1);
  }
  return out;
}

}  // namespace cria::engine
