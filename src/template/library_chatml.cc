// Built-in templates of the ChatML family (<|im_start|>role ... <|im_end|>).
#include "template/library_texts.h"

namespace cria::tmpl::texts {

const char* const kChatml = R"tmpl(
{{- $open := false }}
{{- range $i, $m := .Messages }}
{{- $open = and (eq (len (slice $.Messages $i)) 1) (eq .Role "assistant") -}}
<|im_start|>{{ .Role }}
{{ .Content }}{{ if not $open }}<|im_end|>
{{ end }}
{{- end }}
{{- if not $open }}<|im_start|>assistant
{{ end }})tmpl";

// Qwen 2.5: a default system prompt, tools as JSON lines inside <tools>, calls in <tool_call>,
// results in <tool_response> inside a user turn.
const char* const kQwen25 = R"tmpl(
{{- $msgs := .Messages }}
{{- $sys := "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." }}
{{- if and $msgs (eq (index $msgs 0).Role "system") }}{{ $sys = (index $msgs 0).Content }}{{ end }}
{{- if .Tools -}}
<|im_start|>system
{{ $sys }}

# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{{- range .Tools }}
{{ pyjson . }}
{{- end }}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><|im_end|>
{{ else -}}
<|im_start|>system
{{ $sys }}<|im_end|>
{{ end }}
{{- $open := false }}{{ $inTool := false }}
{{- range $i, $m := $msgs }}
{{- $last := eq (len (slice $msgs $i)) 1 }}
{{- if and $inTool (ne .Role "tool") }}<|im_end|>
{{ end }}
{{- if eq .Role "tool" }}
{{- if not $inTool }}<|im_start|>user{{ end }}
<tool_response>
{{ .Content }}
</tool_response>
{{- else if or (eq .Role "user") (and (eq .Role "system") (ne $i 0)) -}}
<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}
{{- $open = $last -}}
<|im_start|>assistant
{{- if .ToolCalls }}
{{- if .Content }}
{{ .Content }}
{{- end }}
{{- range .ToolCalls }}
<tool_call>
{"name": "{{ .Function.Name }}", "arguments": {{ pyjson .Function.Arguments }}}
</tool_call>
{{- end }}
{{- else }}
{{ .Content }}
{{- end }}
{{- if not $last }}<|im_end|>
{{ end }}
{{- end }}
{{- $inTool = eq .Role "tool" }}
{{- end }}
{{- if $inTool }}<|im_end|>
{{ end }}
{{- if not $open }}<|im_start|>assistant
{{ end }})tmpl";

// Qwen 3: no default system prompt; thinking of the turns after the last user message kept in
// <think>; think=false adds an empty <think> block to the generation prompt.
const char* const kQwen3 = R"tmpl(
{{- $msgs := .Messages }}
{{- $hasSys := and $msgs (eq (index $msgs 0).Role "system") }}
{{- if .Tools -}}
<|im_start|>system
{{ if $hasSys }}{{ (index $msgs 0).Content }}

{{ end }}# Tools

You may call one or more functions to assist with the user query.

You are provided with function signatures within <tools></tools> XML tags:
<tools>
{{- range .Tools }}
{{ pyjson . }}
{{- end }}
</tools>

For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><|im_end|>
{{ else if $hasSys -}}
<|im_start|>system
{{ (index $msgs 0).Content }}<|im_end|>
{{ end }}
{{- $lastUser := -1 }}
{{- range $i, $m := $msgs }}{{ if eq .Role "user" }}{{ $lastUser = $i }}{{ end }}{{ end }}
{{- $open := false }}{{ $inTool := false }}
{{- range $i, $m := $msgs }}
{{- $last := eq (len (slice $msgs $i)) 1 }}
{{- if and $inTool (ne .Role "tool") }}<|im_end|>
{{ end }}
{{- if eq .Role "tool" }}
{{- if not $inTool }}<|im_start|>user{{ end }}
<tool_response>
{{ .Content }}
</tool_response>
{{- else if or (eq .Role "user") (and (eq .Role "system") (ne $i 0)) -}}
<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}
{{- $open = $last -}}
<|im_start|>assistant
{{ if and (gt $i $lastUser) .Thinking }}<think>
{{ .Thinking }}
</think>

{{ end }}{{ .Content }}
{{- range $j, $c := .ToolCalls }}
{{- if or $j $m.Content }}
{{ end }}<tool_call>
{"name": "{{ $c.Function.Name }}", "arguments": {{ pyjson $c.Function.Arguments }}}
</tool_call>
{{- end }}
{{- if not $last }}<|im_end|>
{{ end }}
{{- end }}
{{- $inTool = eq .Role "tool" }}
{{- end }}
{{- if $inTool }}<|im_end|>
{{ end }}
{{- if not $open }}<|im_start|>assistant
{{ if and .IsThinkSet (not .Think) }}<think>

</think>

{{ end }}{{ end }})tmpl";

// SmolLM 3: a metadata system block with the reasoning mode (/think unless think=false or the
// system prompt says /no_think); tool results as user turns.
const char* const kSmollm3 = R"tmpl(
{{- $think := or (not .IsThinkSet) .Think }}
{{- $custom := "" }}
{{- $msgs := .Messages }}
{{- if and $msgs (eq (index $msgs 0).Role "system") }}
{{- $s := (index $msgs 0).Content }}
{{- if contains "/no_think" $s }}{{ $think = false }}{{ else if contains "/think" $s }}{{ $think = true }}{{ end }}
{{- $custom = trimRight " \t\n\r\v\f" (replace "/think" "" (replace "/no_think" "" $s)) }}
{{- end -}}
<|im_start|>system
## Metadata

Knowledge Cutoff Date: June 2025
Reasoning Mode: {{ if $think }}/think{{ else }}/no_think{{ end }}

## Custom Instructions

{{ if $custom }}{{ $custom }}

{{ else if $think }}You are a helpful AI assistant named SmolLM, trained by Hugging Face. Your role as an assistant involves thoroughly exploring questions through a systematic thinking process before providing the final precise and accurate solutions. This requires engaging in a comprehensive cycle of analysis, summarizing, exploration, reassessment, reflection, backtracking, and iteration to develop well-considered thinking process. Please structure your response into two main sections: Thought and Solution using the specified format: <think> Thought section </think> Solution section. In the Thought section, detail your reasoning process in steps. Each step should include detailed considerations such as analysing questions, summarizing relevant findings, brainstorming new ideas, verifying the accuracy of the current steps, refining any errors, and revisiting previous steps. In the Solution section, based on various attempts, explorations, and reflections from the Thought section, systematically present the final solution that you deem correct. The Solution section should be logical, accurate, and concise and detail necessary steps needed to reach the conclusion.

{{ else }}You are a helpful AI assistant named SmolLM, trained by Hugging Face.

{{ end }}<|im_end|>
{{ $open := false }}
{{- range $i, $m := $msgs }}
{{- $last := eq (len (slice $msgs $i)) 1 }}
{{- if or (eq .Role "user") (eq .Role "tool") -}}
<|im_start|>user
{{ .Content }}<|im_end|>
{{ else if eq .Role "assistant" }}
{{- $open = $last -}}
<|im_start|>assistant
{{ if not $think }}<think>

</think>
{{ end }}{{ trimLeft "\n" .Content }}{{ if not $last }}<|im_end|>
{{ end }}
{{- end }}
{{- end }}
{{- if not $open }}<|im_start|>assistant
{{ if not $think }}<think>

</think>
{{ end }}{{ end }})tmpl";

}  // namespace cria::tmpl::texts
