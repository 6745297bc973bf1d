// Built-in templates of the Llama family and those close to it (Llama 2/3, Mistral, Gemma).
#include "template/library_texts.h"

namespace cria::tmpl::texts {

// Llama 2: [INST] turns, the system prompt in <<SYS>> inside the first one.
const char* const kLlama2 = R"tmpl(
{{- $first := true }}{{ $open := false }}
{{- range $i, $m := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}
{{- if not $first }}<s>{{ end }}[INST] {{ if and $first $.System }}<<SYS>>
{{ $.System }}
<</SYS>>

{{ end }}{{ .Content }} [/INST]
{{- $first = false }}
{{- else if eq .Role "assistant" }} {{ .Content }}{{ if $last }}{{ $open = true }}{{ else }} </s>{{ end }}
{{- end }}
{{- end }})tmpl";

// Llama 3.0: header per message, no system block of its own.
const char* const kLlama3 = R"tmpl(
{{- $open := false }}
{{- range $i, $m := .Messages }}
{{- $open = and (eq (len (slice $.Messages $i)) 1) (eq .Role "assistant") -}}
<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ trim .Content }}{{ if not $open }}<|eot_id|>{{ end }}
{{- end }}
{{- if not $open }}<|start_header_id|>assistant<|end_header_id|>

{{ end }})tmpl";

// Llama 3.1 / 3.2 with tools: a system block with the knowledge cutoff and date, the tools
// (JSON with indent 4) in the first user message, calls as {"name", "parameters"} JSON, results
// in ipython turns. The date line comes from $date, set by the variant's prefix.
const char* const kLlama31Date = R"tmpl({{- $date := "26 Jul 2024" }})tmpl";
const char* const kLlama32Date = R"tmpl({{- $date := currentDate "02 Jan 2006" }})tmpl";
const char* const kLlama31Body = R"tmpl(
{{- $msgs := .Messages }}{{ $sys := "" }}
{{- if and $msgs (eq (index $msgs 0).Role "system") }}{{ $sys = trim (index $msgs 0).Content }}{{ $msgs = slice $msgs 1 }}{{ end -}}
<|start_header_id|>system<|end_header_id|>

{{ if .Tools }}Environment: ipython
{{ end }}Cutting Knowledge Date: December 2023
Today Date: {{ $date }}

{{ $sys }}<|eot_id|>
{{- if and .Tools $msgs }}{{ $first := index $msgs 0 }}{{ $msgs = slice $msgs 1 -}}
<|start_header_id|>user<|end_header_id|>

Given the following functions, please respond with a JSON for a function call with its proper arguments that best answers the given prompt.

Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.Do not use variables.

{{ range $.Tools }}{{ pyjsonIndent 4 . }}

{{ end }}{{ trim $first.Content }}<|eot_id|>
{{- end }}
{{- $open := false }}
{{- range $i, $m := $msgs }}
{{- $last := eq (len (slice $msgs $i)) 1 }}
{{- if .ToolCalls -}}
<|start_header_id|>assistant<|end_header_id|>

{{ range .ToolCalls }}{"name": "{{ .Function.Name }}", "parameters": {{ pyjson .Function.Arguments }}}{{ end }}<|eot_id|>
{{- else if eq .Role "tool" -}}
<|start_header_id|>ipython<|end_header_id|>

{{ pyjson .Content }}<|eot_id|>
{{- else }}
{{- $open = and $last (eq .Role "assistant") -}}
<|start_header_id|>{{ .Role }}<|end_header_id|>

{{ trim .Content }}{{ if not $open }}<|eot_id|>{{ end }}
{{- end }}
{{- end }}
{{- if not $open }}<|start_header_id|>assistant<|end_header_id|>

{{ end }})tmpl";

// Mistral (Nemo style): tools in [AVAILABLE_TOOLS] before the last user message, the system
// prompt prefixed to the last user message, calls in [TOOL_CALLS], results in [TOOL_RESULTS].
const char* const kMistral = R"tmpl(
{{- $msgs := .Messages }}{{ $sys := "" }}
{{- if and $msgs (eq (index $msgs 0).Role "system") }}{{ $sys = (index $msgs 0).Content }}{{ $msgs = slice $msgs 1 }}{{ end }}
{{- $lastUser := -1 }}
{{- range $i, $m := $msgs }}{{ if eq .Role "user" }}{{ $lastUser = $i }}{{ end }}{{ end }}
{{- range $i, $m := $msgs }}
{{- $last := eq (len (slice $msgs $i)) 1 }}
{{- if eq .Role "user" }}
{{- if and $.Tools (eq $i $lastUser) }}[AVAILABLE_TOOLS][{{ range $j, $t := $.Tools }}{{ if $j }}, {{ end }}{"type": "function", "function": {{ pyjson $t.Function }}}{{ end }}][/AVAILABLE_TOOLS]{{ end }}
{{- if and $last $sys }}[INST]{{ $sys }}

{{ .Content }}[/INST]{{ else }}[INST]{{ .Content }}[/INST]{{ end }}
{{- else if .ToolCalls }}[TOOL_CALLS][{{ range $j, $c := .ToolCalls }}{{ if $j }}, {{ end }}{"name": {{ pyjson $c.Function.Name }}, "arguments": {{ pyjson $c.Function.Arguments }}, "id": {{ pyjson $c.ID }}}{{ end }}]</s>
{{- else if eq .Role "assistant" }}{{ .Content }}{{ if not $last }}</s>{{ end }}
{{- else if eq .Role "tool" }}[TOOL_RESULTS]{"content": {{ .Content }}, "call_id": {{ pyjson .ToolCallID }}}[/TOOL_RESULTS]
{{- end }}
{{- end }})tmpl";

// Gemma 2: user/model turns; the system prompt goes before the first user turn's text.
const char* const kGemma = R"tmpl(
{{- $sysDone := false }}{{ $open := false }}
{{- range $i, $m := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "assistant" }}
{{- $open = $last -}}
<start_of_turn>model
{{ trim .Content }}{{ if not $last }}<end_of_turn>
{{ end }}
{{- else if ne .Role "system" -}}
<start_of_turn>user
{{ if and $.System (not $sysDone) }}{{ $.System }}

{{ end }}{{ $sysDone = true }}{{ trim .Content }}<end_of_turn>
{{ end }}
{{- end }}
{{- if not $open }}<start_of_turn>model
{{ end }})tmpl";

}  // namespace cria::tmpl::texts
