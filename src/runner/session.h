// The model a runner process serves: the engine context, the tokenizer and the
// tokens cached in sequence 0, and one completion at a time on it. A new prompt
// reuses the longest cached prefix; a context that fills up is shifted (the
// first num_keep tokens stay, half of the rest is dropped), as Ollama does.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/options.h"
#include "base/duration.h"
#include "base/result.h"
#include "engine/runner/context.h"
#include "tokenizer/tokenizer.h"

namespace cria::runner {

struct CompletionParams {
  std::string prompt;            // template-rendered; special tokens in it are parsed
  std::vector<int32_t> context;  // tokens that go before the prompt (/api/generate context)
  api::Options options;
};

struct CompletionResult {
  std::string done_reason;  // "stop", "length", or "" when the client went away
  int64_t prompt_eval_count = 0;
  Nanos prompt_eval{0};
  int64_t eval_count = 0;
  Nanos eval{0};
  std::vector<int32_t> context;  // the prompt and the generated tokens
};

// Called with each piece of generated text ("" when a token produced no text
// yet). Returning false cancels the generation (the client disconnected).
using EmitFn = std::function<bool(std::string_view piece)>;

class Session {
 public:
  static Result<std::unique_ptr<Session>> load(const std::string& model_path,
                                               const engine::ContextOptions& options);

  Result<CompletionResult> complete(const CompletionParams& params, const EmitFn& emit);
  std::vector<int32_t> tokenize(std::string_view text, bool add_special) const;
  std::string detokenize(std::span<const int32_t> ids) const;

  const engine::Context& context() const { return *ctx_; }
  const tokenizer::Tokenizer& tokenizer() const { return tok_; }

 private:
  Session(std::shared_ptr<const gguf::File> file, tokenizer::Tokenizer tok,
          std::unique_ptr<engine::Context> ctx);
  // Tokens of the request, cut to fit the context (keeping the first num_keep).
  std::vector<int32_t> prompt_tokens(const CompletionParams& params) const;
  // Evaluates `tokens` after the longest prefix already cached; returns the last logits.
  Result<engine::Logits> ingest(const std::vector<int32_t>& tokens);
  // Makes room for one more token by dropping half of the tokens after n_keep.
  Status shift(int32_t n_keep);

  std::shared_ptr<const gguf::File> file_;
  tokenizer::Tokenizer tok_;
  std::unique_ptr<engine::Context> ctx_;
  std::vector<int32_t> cached_;  // the tokens of sequence 0, in position order
};

}  // namespace cria::runner
