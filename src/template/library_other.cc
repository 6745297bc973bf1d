// Built-in templates: Phi-3, Zephyr, Granite 3.3, DeepSeek R1, gpt-oss (harmony).
#include "template/library_texts.h"

namespace cria::tmpl::texts {

// Phi-3 / 3.5: <|role|> headers, <|end|> after each message; tool messages are not shown.
const char* const kPhi3 = R"tmpl(
{{- $open := false }}
{{- range $i, $m := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "system" }}{{ if .Content }}<|system|>
{{ .Content }}<|end|>
{{ end }}
{{- else if eq .Role "user" }}<|user|>
{{ .Content }}<|end|>
{{ else if eq .Role "assistant" }}{{ $open = $last }}<|assistant|>
{{ .Content }}{{ if not $last }}<|end|>
{{ end }}
{{- end }}
{{- end }}
{{- if not $open }}<|assistant|>
{{ end }})tmpl";

// Zephyr: <|role|> headers, </s> after each message.
const char* const kZephyr = R"tmpl(
{{- $open := false }}
{{- range $i, $m := .Messages }}
{{- $open = and (eq (len (slice $.Messages $i)) 1) (eq .Role "assistant") -}}
<|{{ .Role }}|>
{{ .Content }}{{ if not $open }}</s>
{{ end }}
{{- end }}
{{- if not $open }}<|assistant|>
{{ end }})tmpl";

// Granite 3.3: a default system prompt with today's date, tools as JSON (indent 4) in an
// available_tools turn; like the reference template, assistant tool calls are not shown.
const char* const kGranite = R"tmpl(
{{- $msgs := .Messages }}{{ $sys := "" }}
{{- if and $msgs (eq (index $msgs 0).Role "system") }}
{{- $sys = (index $msgs 0).Content }}{{ $msgs = slice $msgs 1 }}
{{- else }}
{{- $sys = print "Knowledge Cutoff Date: April 2024. Today's Date: " (currentDate "January 02, 2006") ". You are Granite, developed by IBM." }}
{{- if .Tools }}
{{- $sys = print $sys " You are a helpful assistant with access to the following tools. When a tool is required to answer the user's query, respond only with <|tool_call|> followed by a JSON list of tools used. If a tool does not exist in the provided list of tools, notify the user that you do not have the ability to fulfill the request." }}
{{- else if .Think }}
{{- $sys = print $sys " You are a helpful AI assistant.\nRespond to every user query in a comprehensive and detailed way. You can write down your thoughts and reasoning process before responding. In the thought process, engage in a comprehensive cycle of analysis, summarization, exploration, reassessment, reflection, backtracing, and iteration to develop well-considered thinking process. In the response section, based on various attempts, explorations, and reflections from the thoughts section, systematically present the final solution that you deem correct. The response should summarize the thought process. Write your thoughts between <think></think> and write your response between <response></response> for each user query." }}
{{- else }}
{{- $sys = print $sys " You are a helpful AI assistant." }}
{{- end }}
{{- end -}}
<|start_of_role|>system<|end_of_role|>{{ $sys }}<|end_of_text|>
{{ if .Tools }}<|start_of_role|>available_tools<|end_of_role|>{{ pyjsonIndent 4 .Tools }}<|end_of_text|>
{{ end }}
{{- $open := false }}
{{- range $i, $m := $msgs }}
{{- $open = and (eq (len (slice $msgs $i)) 1) (eq .Role "assistant") -}}
<|start_of_role|>{{ .Role }}<|end_of_role|>{{ .Content }}{{ if not $open }}<|end_of_text|>
{{ end }}
{{- end }}
{{- if not $open }}<|start_of_role|>assistant<|end_of_role|>{{ end }})tmpl";

// DeepSeek R1 (distill): the system prompt first, <｜User｜>/<｜Assistant｜> turns, tool calls and
// outputs in their own blocks; the generation prompt opens <think> (closed at once unless think).
const char* const kDeepseekR1 = R"tmpl(
{{- .System }}
{{- $isTool := false }}{{ $firstCall := true }}{{ $firstOutput := true }}{{ $open := false }}
{{- range $i, $m := .Messages }}
{{- $last := eq (len (slice $.Messages $i)) 1 }}
{{- if eq .Role "user" }}{{ $isTool = false }}<｜User｜>{{ .Content }}
{{- else if eq .Role "assistant" }}
{{- if .ToolCalls }}{{ $isTool = false }}
{{- range .ToolCalls }}
{{- if $firstCall }}<｜Assistant｜><｜tool▁calls▁begin｜>{{ $firstCall = false }}{{ else }}
{{ end }}<｜tool▁call▁begin｜>function<｜tool▁sep｜>{{ .Function.Name }}
```json
{{ pyjson .Function.Arguments }}
```<｜tool▁call▁end｜>
{{- end }}<｜tool▁calls▁end｜><｜end▁of▁sentence｜>
{{- end }}
{{- if $isTool }}<｜tool▁outputs▁end｜>{{ .Content }}<｜end▁of▁sentence｜>{{ $isTool = false }}
{{- else }}<｜Assistant｜>{{ .Content }}{{ if $last }}{{ $open = true }}{{ else }}<｜end▁of▁sentence｜>{{ end }}
{{- end }}
{{- else if eq .Role "tool" }}{{ $isTool = true }}
{{- if $firstOutput }}<｜tool▁outputs▁begin｜>{{ $firstOutput = false }}{{ else }}
{{ end }}<｜tool▁output▁begin｜>{{ .Content }}<｜tool▁output▁end｜>
{{- end }}
{{- end }}
{{- if $isTool }}<｜tool▁outputs▁end｜>{{ end }}
{{- if not (or $isTool $open) }}<｜Assistant｜><think>
{{ if not .Think }}</think>{{ end }}{{ end }})tmpl";

// gpt-oss (harmony): system block with the date and reasoning level, a developer block with
// the instructions and the tools as a TypeScript namespace, channels for answers and calls.
const char* const kGptOss = R"tmpl(
{{- define "tstype" }}
{{- if eq .type "array" }}
{{- if .items }}
{{- $it := .items.type }}
{{- if eq $it "string" }}string[]{{ else if or (eq $it "number") (eq $it "integer") }}number[]{{ else if eq $it "boolean" }}boolean[]{{ else }}any[]{{ end }}
{{- else }}any[]{{ end }}
{{- if .nullable }} | null{{ end }}
{{- else if eq .type "string" }}
{{- if .enum }}{{ range $k, $e := .enum }}{{ if $k }} | {{ end }}"{{ $e }}"{{ end }}
{{- else }}string{{ if .nullable }} | null{{ end }}{{ end }}
{{- else if or (eq .type "number") (eq .type "integer") }}number
{{- else if eq .type "boolean" }}boolean
{{- else if eq .type "object" }}object
{{- else }}{{ toTypeScriptType . }}
{{- end }}
{{- end -}}
<|start|>system<|message|>You are ChatGPT, a large language model trained by OpenAI.
Knowledge cutoff: 2024-06
Current date: {{ currentDate }}

Reasoning: {{ if .ThinkLevel }}{{ .ThinkLevel }}{{ else }}medium{{ end }}

# Valid channels: analysis, commentary, final. Channel must be included for every message.
{{- if .Tools }}
Calls to these tools must go to the commentary channel: 'functions'.
{{- end }}<|end|>
{{- $msgs := .Messages }}{{ $dev := "" }}
{{- if and $msgs (or (eq (index $msgs 0).Role "system") (eq (index $msgs 0).Role "developer")) }}
{{- $dev = (index $msgs 0).Content }}{{ $msgs = slice $msgs 1 }}
{{- end }}
{{- if or $dev .Tools }}<|start|>developer<|message|>
{{- if $dev }}# Instructions

{{ $dev }}

{{ end }}
{{- if .Tools }}# Tools

## functions

namespace functions {

{{ range .Tools }}{{ $f := .Function }}// {{ $f.Description }}
type {{ $f.Name }} = {{ if and $f.Parameters $f.Parameters.Properties }}(_: {
{{ $req := $f.Parameters.Required }}
{{- range $name, $spec := $f.Parameters.Properties }}
{{- if $spec.description }}// {{ $spec.description }}
{{ end }}
{{- $isReq := false }}{{ range $req }}{{ if eq . $name }}{{ $isReq = true }}{{ end }}{{ end }}
{{- $name }}{{ if not $isReq }}?{{ end }}: {{ template "tstype" $spec }},
{{ end }}}) => any;

{{ else }}() => any;

{{ end }}{{ end }}} // namespace functions
{{- end }}<|end|>
{{- end }}
{{- $lastFinal := -1 }}
{{- range $i, $m := $msgs }}{{ if and (eq .Role "assistant") (not .ToolCalls) }}{{ $lastFinal = $i }}{{ end }}{{ end }}
{{- $lastTool := "" }}{{ $open := false }}
{{- range $i, $m := $msgs }}
{{- $last := eq (len (slice $msgs $i)) 1 }}
{{- if eq .Role "assistant" }}
{{- if .ToolCalls }}
{{- if gt $i $lastFinal }}
{{- if .Content }}<|start|>assistant<|channel|>analysis<|message|>{{ .Content }}<|end|>
{{- else if .Thinking }}<|start|>assistant<|channel|>analysis<|message|>{{ .Thinking }}<|end|>
{{- end }}
{{- end }}
{{- range .ToolCalls }}<|start|>assistant to=functions.{{ .Function.Name }}<|channel|>commentary json<|message|>{{ pyjson .Function.Arguments }}<|call|>{{ $lastTool = .Function.Name }}{{ end }}
{{- else if $last }}{{ $open = true }}
{{- if .Thinking }}<|start|>assistant<|channel|>analysis<|message|>{{ .Thinking }}<|end|>{{ end -}}
<|start|>assistant<|channel|>final<|message|>{{ .Content }}
{{- else }}<|start|>assistant<|channel|>final<|message|>{{ .Content }}<|end|>{{ $lastTool = "" }}
{{- end }}
{{- else if eq .Role "tool" }}<|start|>functions.{{ if .ToolName }}{{ .ToolName }}{{ else }}{{ $lastTool }}{{ end }} to=assistant<|channel|>commentary<|message|>{{ pyjson .Content }}<|end|>
{{- else if eq .Role "user" }}<|start|>user<|message|>{{ .Content }}<|end|>
{{- end }}
{{- end }}
{{- if not $open }}<|start|>assistant{{ end }})tmpl";

}  // namespace cria::tmpl::texts
