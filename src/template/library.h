// Cria's built-in chat templates (Go template syntax, written for Cria) and the choice of one
// from a GGUF's tokenizer.chat_template.
//
// Conventions of every built-in template, as in Ollama's: no BOS token as text at the start
// (the tokenizer adds it); a last assistant message is left open, so the model continues it;
// otherwise the prompt ends with the assistant's header.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cria::tmpl {

struct BuiltinTemplate {
  std::string_view name;
  std::string_view text;
  std::vector<std::string_view> stop;  // default stop sequences for models using it
};

std::span<const BuiltinTemplate> builtin_templates();
const BuiltinTemplate* find_builtin(std::string_view name);

struct TemplateChoice {
  std::string name;
  std::string text;
  bool fallback = false;  // nothing in the table matched
};

// Picks the built-in template for a Jinja chat template by its distinctive substrings (a table
// kept as data in library.cc, first match wins; any <|im_start|> template is "chatml").
// Unknown templates fall back to "default" ({{ .Prompt }}, Ollama's default template: the last
// user message only), with fallback = true.
TemplateChoice pick_template(std::string_view jinja);

}  // namespace cria::tmpl
