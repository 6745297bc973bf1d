// Log-probabilities end to end on the bundled model: /api/generate and /api/chat through the
// `ollama` client, /v1/chat/completions and /v1/completions through the `openai` client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startServer, createStories } from './server.mjs';

const model = 'stories';
let srv, client, openai;

before(async () => {
  srv = await startServer();
  await createStories(srv.base, model, { temperature: 0 });
  client = new Ollama({ host: srv.base });
  openai = new OpenAI({ baseURL: `${srv.base}/v1`, apiKey: 'cria', maxRetries: 0 });
});
after(async () => srv && srv.stop());

// One entry: a log-probability, the token's bytes, and the alternatives most likely first.
function checkEntry(e, nTop) {
  assert.equal(typeof e.token, 'string');
  assert.ok(e.logprob <= 0 && e.logprob > -100, `logprob ${e.logprob}`);
  assert.ok(Array.isArray(e.bytes));
  if (!e.token.includes('\ufffd')) assert.equal(Buffer.from(e.bytes).toString('utf8'), e.token);
  const top = e.top_logprobs ?? [];
  assert.equal(top.length, nTop);
  for (let i = 1; i < top.length; ++i) assert.ok(top[i - 1].logprob >= top[i].logprob);
  // Greedy: the chosen token is the most likely one.
  if (nTop > 0) {
    assert.equal(top[0].token, e.token);
    assert.ok(Math.abs(top[0].logprob - e.logprob) < 1e-6);
  }
  const p = top.reduce((s, t) => s + Math.exp(t.logprob), 0);
  assert.ok(p <= 1 + 1e-4, `top probabilities sum to ${p}`);
}

test('/api/generate: logprobs of every token, streamed and not, with top_logprobs', async () => {
  const opts = { model, prompt: 'Once upon a time', options: { num_predict: 12 }, logprobs: true, top_logprobs: 3 };
  const whole = await client.generate(opts);
  assert.equal(whole.logprobs.length, whole.eval_count);
  whole.logprobs.forEach((e) => checkEntry(e, 3));
  // The tokens spell the answer (a stop string would be in the tokens but not the text).
  assert.ok(whole.logprobs.map((e) => e.token).join('').trim().startsWith(whole.response.trim()));

  const streamed = [];
  let text = '';
  for await (const part of await client.generate({ ...opts, stream: true })) {
    text += part.response;
    if (part.logprobs) streamed.push(...part.logprobs);
  }
  assert.equal(text, whole.response);
  assert.deepEqual(streamed.map((e) => e.token), whole.logprobs.map((e) => e.token));
  streamed.forEach((e, i) => assert.ok(Math.abs(e.logprob - whole.logprobs[i].logprob) < 1e-5));

  const plain = await client.generate({ model, prompt: 'Once upon a time', options: { num_predict: 4 } });
  assert.equal(plain.logprobs, undefined);
  const noTop = await client.generate({ ...opts, top_logprobs: 0 });
  noTop.logprobs.forEach((e) => checkEntry(e, 0));
  await assert.rejects(client.generate({ ...opts, top_logprobs: 21 }),
    (e) => e.status_code === 400 && /top_logprobs/.test(e.message));
});

test('/api/chat: logprobs', async () => {
  const r = await client.chat({ model, messages: [{ role: 'user', content: 'Tell me a story' }], options: { num_predict: 8 }, logprobs: true, top_logprobs: 2 });
  assert.equal(r.logprobs.length, r.eval_count);
  r.logprobs.forEach((e) => checkEntry(e, 2));
});

test('/v1/chat/completions and /v1/completions: logprobs in OpenAI shapes', async () => {
  const messages = [{ role: 'user', content: 'Tell me a story' }];
  const c = await openai.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 2 });
  const content = c.choices[0].logprobs.content;
  assert.equal(content.length, c.usage.completion_tokens);
  content.forEach((e) => checkEntry(e, 2));

  const stream = await openai.chat.completions.create({ model, messages, max_tokens: 8, temperature: 0, logprobs: true, top_logprobs: 2, stream: true });
  const tokens = [];
  for await (const chunk of stream) {
    for (const e of chunk.choices[0]?.logprobs?.content ?? []) tokens.push(e.token);
  }
  assert.deepEqual(tokens, content.map((e) => e.token));

  const none = await openai.chat.completions.create({ model, messages, max_tokens: 4 });
  assert.equal(none.choices[0].logprobs, null);

  const t = await openai.completions.create({ model, prompt: 'Once upon a time', max_tokens: 6, temperature: 0, logprobs: 2 });
  const lp = t.choices[0].logprobs;
  assert.equal(lp.tokens.length, t.usage.completion_tokens);
  assert.equal(lp.token_logprobs.length, lp.tokens.length);
  assert.equal(lp.text_offset[0], 0);
  for (let i = 1; i < lp.tokens.length; ++i) {
    assert.equal(lp.text_offset[i], lp.text_offset[i - 1] + Buffer.byteLength(lp.tokens[i - 1]));
  }
  lp.top_logprobs.forEach((alts, i) => {
    assert.equal(Object.keys(alts).length <= 2, true);
    assert.ok(Math.abs(alts[lp.tokens[i]] - lp.token_logprobs[i]) < 1e-6);
  });
});
