// Prompts from requests: the model's template (its TEMPLATE layer, or a built-in
// one picked from the GGUF's tokenizer.chat_template), rendered with the
// request's system prompt, messages and tools.
#pragma once

#include <functional>
#include <string>

#include "api/types.h"
#include "store/create.h"
#include "store/model.h"
#include "template/template.h"

namespace cria::server {

// Counts the tokens of a rendered prompt (for truncating chat history).
using TokenCounter = std::function<Result<int64_t>(const std::string&)>;

// The built-in template for a GGUF tokenizer.chat_template (Jinja), if one matches.
std::optional<store::DetectedTemplate> detect_template(std::string_view chat_template);

struct ModelTemplate {
  tmpl::Template tmpl;
  std::vector<std::string> stop;  // the built-in template's stop strings, when one was picked
  std::string builtin;            // the built-in template's name, when one was picked
};

// The model's TEMPLATE layer, else the built-in template matching its GGUF chat
// template, else Ollama's default ({{ .Prompt }}).
Result<ModelTemplate> model_template(const store::Model& model);

// /api/generate: .System (request or model), .Prompt, .Suffix with the request's
// template, else the model's.
Result<std::string> render_generate(const store::Model& model, const api::GenerateRequest& r);

// /api/chat: the model's MESSAGEs, then the request's; history that does not fit
// num_ctx is dropped from the oldest messages, keeping system messages.
Result<std::string> render_chat(const store::Model& model, const api::Options& options,
                                const api::ChatRequest& r, const TokenCounter& count);

}  // namespace cria::server
