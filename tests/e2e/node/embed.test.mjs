// Embeddings end to end on the bert fixture of ../shared/fixtures: /api/embed through the
// official `ollama` client (16 inputs in one request), the older /api/embeddings, and
// /v1/embeddings through the `openai` client, against llama.cpp's golden embeddings.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startServer, shared } from './server.mjs';

const gguf = join(shared, 'fixtures', 'bert.gguf');
const haveData = existsSync(gguf);
const model = 'bert';
let srv, client, golden;

function norm(v) { return Math.sqrt(v.reduce((s, x) => s + x * x, 0)); }
function maxDiff(a, b) { return Math.max(...a.map((x, i) => Math.abs(x - b[i]))); }

before(async () => {
  if (!haveData) {
    if (process.env.CI) assert.fail(`test data missing in CI: ${gguf} (set CRIA_SHARED)`);
    return;
  }
  srv = await startServer();
  client = new Ollama({ host: srv.base });
  const bytes = readFileSync(gguf);
  const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
  const up = await fetch(`${srv.base}/api/blobs/${digest}`, { method: 'POST', body: bytes });
  assert.ok([200, 201].includes(up.status));
  await client.create({ model, files: { 'bert.gguf': digest } });
  golden = JSON.parse(readFileSync(join(shared, 'fixtures', 'golden', 'bert.json')));
});
after(async () => srv && srv.stop());

test('/api/embed: 16 inputs in one request, normalised, equal to llama.cpp and to one at a time', async (t) => {
  if (!haveData) return t.skip('NOTICE: ../shared/fixtures/bert.gguf not found; set CRIA_SHARED');
  const texts = golden.cases.map((c) => c.text);
  const inputs = [...texts];
  for (let i = 0; inputs.length < 16; ++i) inputs.push(`sentence number ${i} about ${'a robot '.repeat(i % 5)}`);
  const r = await client.embed({ model, input: inputs });
  assert.equal(r.model, model);
  assert.equal(r.embeddings.length, 16);
  assert.ok(r.prompt_eval_count > 16 * 3, `prompt_eval_count ${r.prompt_eval_count}`);
  for (const v of r.embeddings) {
    assert.equal(v.length, 64);
    assert.ok(Math.abs(norm(v) - 1) < 1e-5, `norm ${norm(v)}`);
  }
  golden.cases.forEach((c, i) => {
    const d = maxDiff(r.embeddings[i], c.embedding.normalized);
    assert.ok(d <= 1e-3, `case ${i}: max |d| ${d}`);
  });
  for (const i of [0, 5, 15]) {
    const alone = await client.embed({ model, input: inputs[i] });
    const d = maxDiff(alone.embeddings[0], r.embeddings[i]);
    // Batch shapes pick other matmul kernels: float noise (seen 7e-5), far below 1e-3.
    assert.ok(d < 5e-4, `input ${i} alone differs by ${d}`);
  }
  // Distinct inputs give distinct vectors.
  assert.ok(maxDiff(r.embeddings[3], r.embeddings[4]) > 1e-3);
});

test('/api/embed: dimensions, truncate, empty input, refusals', async (t) => {
  if (!haveData) return t.skip('NOTICE: ../shared/fixtures/bert.gguf not found; set CRIA_SHARED');
  const text = golden.cases[0].text;
  const full = (await client.embed({ model, input: text })).embeddings[0];
  const cut = (await client.embed({ model, input: text, dimensions: 8 })).embeddings[0];
  assert.equal(cut.length, 8);
  assert.ok(Math.abs(norm(cut) - 1) < 1e-5);
  const n8 = norm(full.slice(0, 8));
  assert.ok(maxDiff(cut, full.slice(0, 8).map((x) => x / n8)) < 1e-5);

  const long = 'word '.repeat(700);
  await assert.rejects(client.embed({ model, input: long, truncate: false }),
    (e) => e.status_code === 400 && /context length/.test(e.message));
  const truncated = await client.embed({ model, input: long });
  assert.equal(truncated.embeddings.length, 1);
  assert.equal(truncated.prompt_eval_count, 512);

  const empty = await client.embed({ model, input: [] });
  assert.deepEqual(empty.embeddings, []);

  await assert.rejects(client.generate({ model, prompt: 'hi' }),
    (e) => e.status_code === 400 && /"bert" does not support generate/.test(e.message));
  await assert.rejects(client.chat({ model, messages: [{ role: 'user', content: 'hi' }] }),
    (e) => e.status_code === 400 && /does not support chat/.test(e.message));
  const show = await client.show({ model });
  assert.deepEqual(show.capabilities, ['embedding']);
});

test('/api/embeddings: the pooled vector before normalisation', async (t) => {
  if (!haveData) return t.skip('NOTICE: ../shared/fixtures/bert.gguf not found; set CRIA_SHARED');
  const c = golden.cases[0];
  const r = await client.embeddings({ model, prompt: c.text });
  assert.equal(r.embedding.length, 64);
  assert.ok(Math.abs(norm(r.embedding) - c.embedding.raw_l2_norm) < 1e-2,
    `norm ${norm(r.embedding)} vs ${c.embedding.raw_l2_norm}`);
  assert.ok(maxDiff(r.embedding, c.embedding.raw) < 5e-3);
  assert.deepEqual((await client.embeddings({ model, prompt: '' })).embedding, []);
});

test('/v1/embeddings: the openai client, float and base64', async (t) => {
  if (!haveData) return t.skip('NOTICE: ../shared/fixtures/bert.gguf not found; set CRIA_SHARED');
  const openai = new OpenAI({ baseURL: `${srv.base}/v1`, apiKey: 'cria', maxRetries: 0 });
  const texts = golden.cases.map((c) => c.text);
  const f = await openai.embeddings.create({ model, input: texts, encoding_format: 'float' });
  assert.equal(f.object, 'list');
  assert.equal(f.data.length, texts.length);
  assert.ok(f.usage.prompt_tokens > 0 && f.usage.total_tokens === f.usage.prompt_tokens);
  f.data.forEach((d, i) => {
    assert.equal(d.index, i);
    assert.ok(maxDiff(d.embedding, golden.cases[i].embedding.normalized) <= 1e-3);
  });
  // The SDK asks for base64 by default and decodes it to floats.
  const b = await openai.embeddings.create({ model, input: texts[1] });
  assert.ok(maxDiff(b.data[0].embedding, f.data[1].embedding) < 1e-6);
  const d = await openai.embeddings.create({ model, input: texts[1], dimensions: 16 });
  assert.equal(d.data[0].embedding.length, 16);
  await assert.rejects(openai.embeddings.create({ model, input: [] }), OpenAI.BadRequestError);
  await assert.rejects(openai.embeddings.create({ model: 'nope', input: 'x' }), OpenAI.NotFoundError);
});
