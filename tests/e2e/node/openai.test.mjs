// End-to-end: the OpenAI- and Anthropic-compatible endpoints of `cria serve`,
// driven by the official `openai` and `@anthropic-ai/sdk` npm clients (which send
// Authorization / x-api-key headers the server accepts without checking).
//
// stories260K never calls a tool by itself: tool definitions, assistant tool calls and
// tool results are checked on the request side (the prompt grows by their tokens), and
// whole round trips use a forced call (tool_choice "required", a named function,
// Anthropic's "any"/"tool"), which a grammar makes the model write in its template's
// syntax (Hermes <tool_call> tags here).
//
// Environment: CRIA_BIN, CRIA_SOURCE_DIR (see server.mjs).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { startServer, createStories, modelDigest } from './server.mjs';

const model = 'stories';
const prompt = 'Once upon a time';
// A model whose template renders every message, tool calls and tools, so that
// token counts show what reached the prompt.
const toolModel = 'stories-tools';
const toolTemplate = '{{ range .Tools }}tool {{ .Function.Name }}\n{{ end }}' +
  '{{ range .Messages }}{{ .Role }}: {{ .Content }}' +
  '{{ range .ToolCalls }} call {{ .Function.Name }}{{ end }}\n{{ end }}assistant:';
// A ChatML template with Hermes-style tool calls, as Qwen 2.5's.
const hermesModel = 'stories-hermes';
const hermesTemplate = '{{ if .Tools }}<|im_start|>system\n<tools>\n{{ range .Tools }}{{ .Function.Name }}\n{{ end }}' +
  '</tools><|im_end|>\n{{ end }}{{ range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}' +
  '{{ range .ToolCalls }}<tool_call>\n{"name": "{{ .Function.Name }}", "arguments": {{ .Function.Arguments }}}\n</tool_call>{{ end }}' +
  '<|im_end|>\n{{ end }}<|im_start|>assistant\n';
let srv, openai, anthropic;

async function createTemplated(base, name, template) {
  const res = await fetch(`${base}/api/create`, {
    method: 'POST',
    body: JSON.stringify({
      model: name, files: { 'stories260K.gguf': modelDigest }, template,
      parameters: { temperature: 0, num_ctx: 512 }, stream: false,
    }),
  });
  if (res.status !== 200) throw new Error('create failed: ' + (await res.text()));
}

before(async () => {
  srv = await startServer();
  await createStories(srv.base, model, { temperature: 0, num_ctx: 256 });
  await createTemplated(srv.base, toolModel, toolTemplate);
  await createTemplated(srv.base, hermesModel, hermesTemplate);
  openai = new OpenAI({ baseURL: `${srv.base}/v1`, apiKey: 'not-checked', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: srv.base, apiKey: 'not-checked', maxRetries: 0 });
});

after(async () => {
  if (srv) await srv.stop();
});

const userMessage = [{ role: 'user', content: prompt }];

test('chat completion: content, finish_reason length, usage', async () => {
  const r = await openai.chat.completions.create({
    model, messages: userMessage, max_tokens: 8, temperature: 0,
  });
  assert.equal(r.object, 'chat.completion');
  assert.match(r.id, /^chatcmpl-/);
  assert.equal(r.model, model);
  assert.equal(typeof r.created, 'number');
  assert.equal(r.choices.length, 1);
  const c = r.choices[0];
  assert.equal(c.message.role, 'assistant');
  assert.ok(c.message.content.length > 0);
  assert.equal(c.finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 8);
  assert.ok(r.usage.prompt_tokens > 0);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('chat completion stream: role first, same text, finish chunk, usage chunk', async () => {
  const whole = await openai.chat.completions.create({
    model, messages: userMessage, max_tokens: 8, temperature: 0,
  });
  const stream = await openai.chat.completions.create({
    model, messages: userMessage, max_tokens: 8, temperature: 0, stream: true,
    stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.length >= 3);
  const ids = new Set(chunks.map((c) => c.id));
  assert.equal(ids.size, 1);
  for (const c of chunks) assert.equal(c.object, 'chat.completion.chunk');
  assert.equal(chunks[0].choices[0].delta.role, 'assistant');
  const usage = chunks.at(-1);
  assert.deepEqual(usage.choices, []);
  assert.equal(usage.usage.completion_tokens, 8);
  assert.equal(usage.usage.prompt_tokens, whole.usage.prompt_tokens);
  const finish = chunks.at(-2);
  assert.equal(finish.choices[0].finish_reason, 'length');
  assert.deepEqual(finish.choices[0].delta, {});
  const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
  assert.equal(text, whole.choices[0].message.content);
});

test('chat completion stream without include_usage has no usage chunk', async () => {
  const stream = await openai.chat.completions.create({
    model, messages: userMessage, max_tokens: 4, temperature: 0, stream: true,
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  assert.ok(chunks.every((c) => c.usage == null && c.choices.length === 1));
  assert.equal(chunks.at(-1).choices[0].finish_reason, 'length');
});

test('chat completion: stop, seed, penalties and response_format are accepted', async () => {
  const r = await openai.chat.completions.create({
    model, messages: userMessage, max_completion_tokens: 6, seed: 42, top_p: 0.9,
    frequency_penalty: 0.1, presence_penalty: 0.1, stop: ['zzz', 'qqq'],
  });
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 6);
  // The format reaches the runner (grammar-constrained there); only acceptance is checked here.
  for (const response_format of [
    { type: 'json_object' },
    { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
  ]) {
    const j = await openai.chat.completions.create({ model, messages: userMessage, max_tokens: 6, response_format });
    assert.equal(j.object, 'chat.completion');
  }
});

test('n choices: each is the answer of its own seed, in one reply or one stream', async () => {
  const n = 3;
  const ask = (extra) => openai.chat.completions.create({
    model, messages: userMessage, max_tokens: 12, temperature: 1, seed: 7, ...extra,
  });
  const r = await ask({ n });
  assert.equal(r.choices.length, n);
  assert.deepEqual(r.choices.map((c) => c.index), [0, 1, 2]);
  // Choice i samples with seed + i: the same text as a single request with that seed.
  for (let i = 0; i < n; ++i) {
    const alone = await ask({ seed: 7 + i });
    assert.equal(r.choices[i].message.content, alone.choices[0].message.content, `choice ${i}`);
    assert.equal(r.choices[i].finish_reason, 'length');
  }
  assert.ok(new Set(r.choices.map((c) => c.message.content)).size > 1, 'the choices differ');
  assert.equal(r.usage.completion_tokens, 12 * n);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + 12 * n);
  const stream = await ask({ n, stream: true, stream_options: { include_usage: true } });
  const texts = Array(n).fill('');
  const finished = [];
  let usage = null;
  for await (const chunk of stream) {
    if (chunk.usage) usage = chunk.usage;
    for (const c of chunk.choices) {
      texts[c.index] += c.delta.content ?? '';
      if (c.finish_reason) finished.push(c.index);
    }
  }
  assert.deepEqual(texts, r.choices.map((c) => c.message.content));
  assert.deepEqual(finished.sort(), [0, 1, 2]);
  assert.equal(usage.completion_tokens, 12 * n);
  await assert.rejects(ask({ n: 0 }), OpenAI.BadRequestError);
  await assert.rejects(ask({ n: 129 }), OpenAI.BadRequestError);
});

test('a client that goes away mid-stream does not break the server', async () => {
  const stream = await openai.chat.completions.create({
    model, messages: userMessage, max_tokens: 200, temperature: 0, stream: true,
  });
  for await (const chunk of stream) {
    assert.equal(chunk.object, 'chat.completion.chunk');
    break;  // aborts the request
  }
  const r = await openai.chat.completions.create({ model, messages: userMessage, max_tokens: 2 });
  assert.equal(r.usage.completion_tokens, 2);
});

test('completions: text_completion, stream with usage', async () => {
  const r = await openai.completions.create({ model, prompt, max_tokens: 6, temperature: 0 });
  assert.equal(r.object, 'text_completion');
  assert.match(r.id, /^cmpl-/);
  assert.ok(r.choices[0].text.length > 0);
  assert.equal(r.choices[0].finish_reason, 'length');
  assert.equal(r.usage.completion_tokens, 6);
  const stream = await openai.completions.create({
    model, prompt, max_tokens: 6, temperature: 0, stream: true, stream_options: { include_usage: true },
  });
  const chunks = [];
  for await (const chunk of stream) chunks.push(chunk);
  const text = chunks.map((c) => c.choices[0]?.text ?? '').join('');
  assert.equal(text, r.choices[0].text);
  assert.equal(chunks.at(-2).choices[0].finish_reason, 'length');
  assert.equal(chunks.at(-1).usage.completion_tokens, 6);
});

test('models: list and retrieve', async () => {
  const ids = [];
  for await (const m of openai.models.list()) {
    assert.equal(m.object, 'model');
    assert.equal(m.owned_by, 'library');
    assert.equal(typeof m.created, 'number');
    ids.push(m.id);
  }
  assert.ok(ids.includes('stories:latest'), ids.join(','));
  const m = await openai.models.retrieve(model);
  assert.deepEqual(Object.keys(m).sort(), ['created', 'id', 'object', 'owned_by']);
  assert.equal(m.id, model);
  assert.ok(m.created > 1600000000);
});

test('openai errors: unknown model 404, bad requests 400, embeddings of a language model 400', async () => {
  await assert.rejects(
    openai.chat.completions.create({ model: 'nope', messages: userMessage }),
    (e) => e instanceof OpenAI.NotFoundError && /not found/.test(e.message) && e.error?.type != null);
  await assert.rejects(openai.models.retrieve('nope'), OpenAI.NotFoundError);
  await assert.rejects(openai.completions.create({ model: 'nope', prompt }), OpenAI.NotFoundError);
  await assert.rejects(
    openai.chat.completions.create({ model, messages: [] }),
    (e) => e instanceof OpenAI.BadRequestError && /messages/.test(e.message));
  await assert.rejects(
    openai.chat.completions.create({ model, messages: userMessage, max_tokens: 'many' }),
    (e) => e instanceof OpenAI.BadRequestError && /max_tokens/.test(e.message));
  await assert.rejects(
    openai.chat.completions.create({ model, messages: userMessage, response_format: { type: 'xml' } }),
    OpenAI.BadRequestError);
  await assert.rejects(
    openai.embeddings.create({ model, input: 'hello' }),
    (e) => e instanceof OpenAI.BadRequestError && /does not support embeddings/.test(e.message));
});

const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];

test('openai tools: definitions, tool calls and tool results are accepted', async () => {
  const history = [
    { role: 'user', content: 'What is the weather in Paris?' },
    {
      role: 'assistant', content: null,
      tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
    },
  ];
  const result = { role: 'tool', tool_call_id: 'call_1', content: 'Sunny and warm, twenty two degrees, light wind from the west.' };
  const plain = await openai.chat.completions.create({
    model: toolModel, messages: history.slice(0, 1), max_tokens: 2,
  });
  const without = await openai.chat.completions.create({
    model: toolModel, messages: history, tools, tool_choice: 'auto', max_tokens: 2,
  });
  const withResult = await openai.chat.completions.create({
    model: toolModel, messages: [...history, result], tools, max_tokens: 2,
  });
  const noneChoice = await openai.chat.completions.create({
    model: toolModel, messages: history.slice(0, 1), tools, tool_choice: 'none', max_tokens: 2,
  });
  assert.ok(without.usage.prompt_tokens > plain.usage.prompt_tokens, 'tools and the call are rendered');
  assert.equal(noneChoice.usage.prompt_tokens, plain.usage.prompt_tokens, 'tool_choice none drops tools');
  assert.equal(withResult.choices[0].message.role, 'assistant');
  assert.ok(withResult.usage.prompt_tokens > without.usage.prompt_tokens,
    `the tool result is rendered: ${withResult.usage.prompt_tokens} > ${without.usage.prompt_tokens}`);
  // A template without a tool-call syntax cannot be made to call a tool.
  await assert.rejects(
    openai.chat.completions.create({ model: toolModel, messages: userMessage, tools, tool_choice: 'required' }),
    (e) => e instanceof OpenAI.BadRequestError && /tool-call syntax/.test(e.message));
});

const weatherTools = [
  {
    type: 'function',
    function: {
      name: 'get_weather', description: 'The weather in a city',
      parameters: {
        type: 'object', properties: { city: { type: 'string', maxLength: 24 }, days: { type: 'integer' } },
        required: ['city', 'days'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'get_time', description: 'The time in a city',
      parameters: { type: 'object', properties: { zone: { enum: ['utc', 'local'] } }, required: ['zone'] },
    },
  },
];

function checkWeatherCall(call) {
  assert.equal(call.type, 'function');
  assert.match(call.id, /^call_/);
  const args = JSON.parse(call.function.arguments);
  if (call.function.name === 'get_weather') {
    assert.equal(typeof args.city, 'string');
    assert.ok([...args.city].length <= 24);
    assert.ok(Number.isInteger(args.days));
  } else {
    assert.equal(call.function.name, 'get_time');
    assert.ok(['utc', 'local'].includes(args.zone));
  }
  return args;
}

test('openai tool round trip: a required call, its result, then an answer', async () => {
  const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const first = await openai.chat.completions.create({
    model: hermesModel, messages, tools: weatherTools, tool_choice: 'required', max_tokens: 200, seed: 3, temperature: 1,
  });
  const c = first.choices[0];
  assert.equal(c.finish_reason, 'tool_calls');
  assert.equal(c.message.content, null);
  assert.equal(c.message.tool_calls.length, 1);
  checkWeatherCall(c.message.tool_calls[0]);
  // The result goes back as a tool message; the model answers in text.
  const followUp = [...messages, c.message,
    { role: 'tool', tool_call_id: c.message.tool_calls[0].id, content: 'Sunny, twenty two degrees.' }];
  const second = await openai.chat.completions.create({ model: hermesModel, messages: followUp, tools: weatherTools, max_tokens: 16 });
  assert.ok(second.usage.prompt_tokens > first.usage.prompt_tokens + 10, 'the call and its result are in the prompt');
  assert.equal(second.choices[0].message.tool_calls, undefined);
  assert.ok(second.choices[0].message.content.length > 0);
  assert.equal(second.choices[0].finish_reason, 'length');
});

test('openai forced calls: a named function, many seeds, and streaming', async () => {
  const messages = [{ role: 'user', content: 'What time is it?' }];
  for (let seed = 1; seed <= 10; ++seed) {
    const r = await openai.chat.completions.create({
      model: hermesModel, messages, tools: weatherTools, max_tokens: 200, seed, temperature: 1,
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
    assert.equal(r.choices[0].finish_reason, 'tool_calls', `seed ${seed}`);
    assert.equal(r.choices[0].message.tool_calls[0].function.name, 'get_time');
    checkWeatherCall(r.choices[0].message.tool_calls[0]);
  }
  const stream = await openai.chat.completions.create({
    model: hermesModel, messages, tools: weatherTools, tool_choice: 'required', max_tokens: 200, seed: 5, temperature: 1, stream: true,
  });
  const calls = [];
  let finish = null;
  for await (const chunk of stream) {
    for (const tc of chunk.choices[0]?.delta?.tool_calls ?? []) calls.push(tc);
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(finish, 'tool_calls');
  assert.equal(calls.length, 1);
  checkWeatherCall(calls[0]);
});

test('anthropic message: text block, stop_reason max_tokens, usage', async () => {
  const m = await anthropic.messages.create({ model, max_tokens: 8, temperature: 0, messages: userMessage });
  assert.equal(m.type, 'message');
  assert.equal(m.role, 'assistant');
  assert.match(m.id, /^msg_/);
  assert.equal(m.model, model);
  assert.equal(m.content[0].type, 'text');
  assert.ok(m.content[0].text.length > 0);
  assert.equal(m.stop_reason, 'max_tokens');
  assert.equal(m.stop_sequence, null);
  assert.equal(m.usage.output_tokens, 8);
  assert.ok(m.usage.input_tokens > 0);
});

test('anthropic stream: event sequence, stop_reason, usage, same text', async () => {
  const whole = await anthropic.messages.create({ model, max_tokens: 8, temperature: 0, messages: userMessage });
  const stream = await anthropic.messages.create({
    model, max_tokens: 8, temperature: 0, messages: userMessage, stream: true,
  });
  const events = [];
  for await (const e of stream) events.push(e);
  const types = events.map((e) => e.type);
  assert.equal(types[0], 'message_start');
  assert.equal(types[1], 'content_block_start');
  const deltas = types.slice(2, types.indexOf('content_block_stop'));
  assert.ok(deltas.length > 0 && deltas.every((t) => t === 'content_block_delta'), types.join(','));
  assert.deepEqual(types.slice(2 + deltas.length), ['content_block_stop', 'message_delta', 'message_stop']);
  assert.equal(events[0].message.usage.input_tokens, whole.usage.input_tokens);
  assert.deepEqual(events[1].content_block, { type: 'text', text: '' });
  const text = events.filter((e) => e.type === 'content_block_delta')
    .map((e) => { assert.equal(e.delta.type, 'text_delta'); return e.delta.text; }).join('');
  assert.equal(text, whole.content[0].text);
  const md = events.at(-2);
  assert.equal(md.delta.stop_reason, 'max_tokens');
  assert.equal(md.usage.output_tokens, 8);
});

test('anthropic stream helper accumulates the final message', async () => {
  const final = await anthropic.messages.stream({
    model, max_tokens: 5, temperature: 0, messages: userMessage,
  }).finalMessage();
  assert.equal(final.stop_reason, 'max_tokens');
  assert.equal(final.usage.output_tokens, 5);
  assert.ok(final.content[0].text.length > 0);
});

test('anthropic count_tokens matches the usage of the same request', async () => {
  const system = [{ type: 'text', text: 'You tell short stories.' }, { type: 'text', text: 'Be brief.' }];
  const counted = await anthropic.messages.countTokens({ model, system, messages: userMessage });
  assert.ok(counted.input_tokens > 0);
  const m = await anthropic.messages.create({ model, system, max_tokens: 1, messages: userMessage });
  assert.equal(m.usage.input_tokens, counted.input_tokens);
  const plain = await anthropic.messages.countTokens({ model, messages: userMessage });
  assert.ok(plain.input_tokens <= counted.input_tokens);
});

test('anthropic tools: tool_use and tool_result blocks are accepted and rendered', async () => {
  const atools = [{
    name: 'get_weather', description: 'The weather in a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } } },
  }];
  const history = [
    { role: 'user', content: 'What is the weather in Paris?' },
    { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
  ];
  const result = {
    role: 'user',
    content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'Sunny and warm, twenty two degrees, light wind from the west.' }],
  };
  const plain = await anthropic.messages.countTokens({ model: toolModel, messages: history.slice(0, 1) });
  const before = await anthropic.messages.countTokens({ model: toolModel, tools: atools, messages: history });
  const withResult = await anthropic.messages.countTokens({
    model: toolModel, tools: atools, messages: [...history, result],
  });
  assert.ok(before.input_tokens > plain.input_tokens, 'tools and the tool_use are rendered');
  assert.ok(withResult.input_tokens > before.input_tokens, 'the tool_result is rendered');
  const m = await anthropic.messages.create({
    model: toolModel, max_tokens: 2, tools: atools, tool_choice: { type: 'auto' }, messages: [...history, result],
  });
  assert.equal(m.type, 'message');
});

test('anthropic tool round trip: "any" forces a tool_use, its result comes back, then text', async () => {
  const atools = weatherTools.map((t) => ({
    name: t.function.name, description: t.function.description, input_schema: t.function.parameters,
  }));
  const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
  const first = await anthropic.messages.create({
    model: hermesModel, max_tokens: 200, temperature: 1, tools: atools, tool_choice: { type: 'any' }, messages,
  });
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content.find((b) => b.type === 'tool_use');
  assert.ok(use, JSON.stringify(first.content));
  assert.match(use.id, /^toolu_|^call_/);
  checkWeatherCall({ type: 'function', id: 'call_', function: { name: use.name, arguments: JSON.stringify(use.input) } });
  const second = await anthropic.messages.create({
    model: hermesModel, max_tokens: 16, tools: atools, messages: [...messages,
      { role: 'assistant', content: first.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'Sunny, twenty two degrees.' }] }],
  });
  assert.ok(second.usage.input_tokens > first.usage.input_tokens + 10, 'the call and its result are in the prompt');
  assert.equal(second.stop_reason, 'max_tokens');
  assert.ok(second.content.every((b) => b.type === 'text'));
  // {"type": "tool"} names the tool, also when streaming.
  const stream = await anthropic.messages.stream({
    model: hermesModel, max_tokens: 200, temperature: 1, tools: atools, tool_choice: { type: 'tool', name: 'get_time' }, messages,
  }).finalMessage();
  assert.equal(stream.stop_reason, 'tool_use');
  const named = stream.content.find((b) => b.type === 'tool_use');
  assert.equal(named.name, 'get_time');
  assert.ok(['utc', 'local'].includes(named.input.zone));
});

test('anthropic errors: unknown model 404, bad request 400', async () => {
  await assert.rejects(
    anthropic.messages.create({ model: 'nope', max_tokens: 4, messages: userMessage }),
    (e) => e instanceof Anthropic.NotFoundError && e.error?.type === 'error' &&
      e.error?.error?.type === 'not_found_error');
  await assert.rejects(
    anthropic.messages.countTokens({ model: 'nope', messages: userMessage }), Anthropic.NotFoundError);
  await assert.rejects(
    anthropic.messages.create({ model, messages: userMessage }),
    (e) => e instanceof Anthropic.BadRequestError && e.error?.error?.type === 'invalid_request_error' &&
      /max_tokens/.test(e.message));
  await assert.rejects(
    anthropic.messages.create({ model, max_tokens: 4, messages: [] }), Anthropic.BadRequestError);
});
