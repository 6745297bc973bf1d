// End-to-end: `cria serve` on a free loopback port, driven by the official `ollama`
// npm client (and fetch for what the client does not expose). Checks responses
// field by field, bad input, and that the store stays consistent.
//
// Environment: CRIA_BIN (the cria binary), CRIA_SOURCE_DIR (the repository),
// CRIA_SHARED (../shared; for the golden tokens).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ollama } from 'ollama';

const bin = process.env.CRIA_BIN;
const source = process.env.CRIA_SOURCE_DIR;
const shared = process.env.CRIA_SHARED || join(source, '..', 'shared');
const modelPath = join(source, 'models', 'stories260K.gguf');
const home = mkdtempSync(join(tmpdir(), 'cria-e2e-'));
const models = join(home, 'models');
let server, base, client;

function blobs() {
  return existsSync(join(models, 'blobs')) ? readdirSync(join(models, 'blobs')).sort() : [];
}

async function post(path, body, headers = { 'Content-Type': 'application/json' }) {
  const res = await fetch(base + path, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

// A store laid out as Ollama writes one: blobs/sha256-<hex> and
// manifests/registry.ollama.ai/library/<model>/<tag>, with config, model,
// template and params layers.
function writeOllamaStore() {
  mkdirSync(join(models, 'blobs'), { recursive: true });
  const blob = (bytes, mediaType) => {
    const hex = createHash('sha256').update(bytes).digest('hex');
    writeFileSync(join(models, 'blobs', 'sha256-' + hex), bytes);
    return { mediaType, digest: 'sha256:' + hex, size: bytes.length };
  };
  const model = blob(readFileSync(modelPath), 'application/vnd.ollama.image.model');
  const template = blob(Buffer.from('{{ .Prompt }}'), 'application/vnd.ollama.image.template');
  const params = blob(Buffer.from('{"num_ctx":128,"temperature":0}'), 'application/vnd.ollama.image.params');
  const config = blob(Buffer.from(JSON.stringify({
    model_format: 'gguf', model_family: 'llama', model_families: ['llama'], model_type: '293K',
    file_type: 'F32', architecture: 'amd64', os: 'linux',
    rootfs: { type: 'layers', diff_ids: [model.digest, template.digest, params.digest] },
  })), 'application/vnd.docker.container.image.v1+json');
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config, layers: [model, template, params] };
  const dir = join(models, 'manifests', 'registry.ollama.ai', 'library', 'ollamamade');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'latest'), JSON.stringify(manifest));
}

before(async () => {
  writeOllamaStore();
  server = spawn(bin, ['serve'], {
    env: { ...process.env, HOME: home, OLLAMA_MODELS: models, OLLAMA_HOST: '127.0.0.1:0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + log)), 20000);
    server.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/Listening on [^ ]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    server.on('exit', (code) => reject(new Error(`server exited (${code}):\n` + log)));
  });
  base = `http://127.0.0.1:${port}`;
  client = new Ollama({ host: base });
});

after(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await new Promise((r) => server.on('exit', r));
  }
  rmSync(home, { recursive: true, force: true });
});

const digest = 'sha256:' + createHash('sha256').update(readFileSync(modelPath)).digest('hex');

test('version and root', async () => {
  const v = await client.version();
  assert.match(v.version, /^\d+\.\d+\.\d+/);
  const root = await fetch(base + '/');
  assert.equal(await root.text(), 'Ollama is running');
});

test('a store written by Ollama is listed, shown and run', async () => {
  const m = (await client.list()).models.find((x) => x.name === 'ollamamade:latest');
  assert.ok(m);
  assert.equal(m.details.parameter_size, '293K');
  const s = await client.show({ model: 'ollamamade' });
  assert.equal(s.template, '{{ .Prompt }}');
  assert.match(s.parameters, /num_ctx\s+128/);
  const g = await client.generate({ model: 'ollamamade', prompt: 'Once upon a time', options: { num_predict: 4 } });
  assert.equal(g.eval_count, 4);
  assert.deepEqual(g.context.slice(0, 5), [1, 403, 407, 261, 378]);
  assert.equal((await client.ps()).models[0].context_length, 128);
  await client.generate({ model: 'ollamamade', prompt: '', keep_alive: 0 });
});

test('blobs: upload, HEAD, digest mismatch', async () => {
  // The model blob exists already (the Ollama-made store); a new upload of it is accepted.
  const up = await fetch(`${base}/api/blobs/${digest}`, { method: 'POST', body: readFileSync(modelPath) });
  assert.equal(up.status, 200);
  const other = Buffer.from('some adapter bytes');
  const otherDigest = 'sha256:' + createHash('sha256').update(other).digest('hex');
  assert.equal((await fetch(`${base}/api/blobs/${otherDigest}`, { method: 'HEAD' })).status, 404);
  assert.equal((await fetch(`${base}/api/blobs/${otherDigest}`, { method: 'POST', body: other })).status, 201);
  assert.equal((await fetch(`${base}/api/blobs/${otherDigest}`, { method: 'HEAD' })).status, 200);
  assert.equal((await fetch(`${base}/api/blobs/${digest}`, { method: 'HEAD' })).status, 200);
  const before = blobs();
  const bad = await fetch(`${base}/api/blobs/sha256:${'0'.repeat(64)}`, { method: 'POST', body: 'not the bytes' });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).error, /digest mismatch/);
  assert.deepEqual(blobs(), before, 'a rejected blob leaves nothing behind');
});

test('create from an uploaded GGUF', async () => {
  const statuses = [];
  const stream = await client.create({
    model: 'stories', files: { 'stories260K.gguf': digest },
    parameters: { temperature: 0, num_ctx: 256 }, stream: true,
  });
  for await (const p of stream) statuses.push(p.status);
  assert.equal(statuses.at(-1), 'success');
  assert.ok(statuses.includes('writing manifest'));
  const q = await client.create({ model: 'stories-q8', from: 'stories', quantize: 'q8_0' });
  assert.equal(q.status, 'success');
  const m = (await client.list()).models.find((x) => x.name === 'stories-q8:latest');
  assert.equal(m.details.quantization_level, 'Q8_0');
  assert.ok(m.size < 600000, `a Q8_0 copy is smaller (${m.size})`);
  const g = await client.generate({ model: 'stories-q8', prompt: 'Once upon a time', options: { num_predict: 8 } });
  assert.equal(g.eval_count, 8);
  await client.delete({ model: 'stories-q8' });
  await assert.rejects(client.create({ model: 'bad', from: 'stories', quantize: 'q9_9' }),
    (e) => e.status_code === 400 && /q4_K_M/.test(e.error));
});

test('list and show', async () => {
  const { models: list } = await client.list();
  const m = list.find((x) => x.name === 'stories:latest');
  assert.ok(m, JSON.stringify(list));
  assert.equal(m.model, 'stories:latest');
  assert.match(m.digest, /^[0-9a-f]{64}$/);
  assert.ok(m.size > 1000000);
  assert.ok(!Number.isNaN(Date.parse(m.modified_at)));
  assert.equal(m.details.format, 'gguf');
  assert.equal(m.details.family, 'llama');
  assert.equal(m.details.quantization_level, 'F32');
  const s = await client.show({ model: 'stories' });
  assert.match(s.modelfile, /^FROM /m);
  assert.match(s.parameters, /temperature\s+0/);
  assert.equal(s.model_info['general.architecture'], 'llama');
  assert.ok(s.capabilities.includes('completion'));
  assert.equal(s.details.family, 'llama');
});

test('generate: greedy tokens equal llama.cpp golden, streamed equals whole', async (t) => {
  const g = await client.generate({ model: 'stories', prompt: 'Once upon a time', options: { num_predict: 64 } });
  assert.equal(g.model, 'stories');
  assert.equal(g.done, true);
  assert.ok(['length', 'stop'].includes(g.done_reason));
  for (const k of ['total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration'])
    assert.equal(typeof g[k], 'number', k);
  assert.equal(g.prompt_eval_count, 5);
  assert.deepEqual(g.context.slice(0, 5), [1, 403, 407, 261, 378]);
  const goldenPath = join(shared, 'models', 'golden', 'stories260K.golden.json');
  if (existsSync(goldenPath)) {
    const golden = JSON.parse(readFileSync(goldenPath)).cases.find((c) => c.model === 'stories260K.gguf' && c.prompt === 'Once upon a time');
    assert.deepEqual(g.context.slice(5), golden.generated_tokens.slice(0, g.context.length - 5));
    assert.equal(g.eval_count, golden.generated_tokens.length);
  } else if (process.env.CI) {
    assert.fail('golden data missing in CI: ' + goldenPath);
  } else {
    t.diagnostic('NOTICE: golden data not found, skipping the token check');
  }
  let text = '', last;
  for await (const part of await client.generate({ model: 'stories', prompt: 'Once upon a time', options: { num_predict: 64 }, stream: true })) {
    assert.equal(part.model, 'stories');
    assert.ok(part.created_at);
    if (!part.done) assert.equal(typeof part.response, 'string');
    text += part.response;
    last = part;
  }
  assert.equal(last.done, true);
  assert.equal(text, g.response);
  assert.deepEqual(last.context, g.context);
});

test('chat, streamed and whole', async () => {
  const messages = [{ role: 'user', content: 'Once upon a time' }];
  const c = await client.chat({ model: 'stories', messages, options: { num_predict: 12 } });
  assert.equal(c.message.role, 'assistant');
  assert.ok(c.message.content.length > 0);
  assert.equal(c.done, true);
  assert.equal(c.eval_count, 12);
  assert.equal(c.done_reason, 'length');
  let text = '';
  for await (const part of await client.chat({ model: 'stories', messages, options: { num_predict: 12 }, stream: true })) {
    assert.equal(part.message.role, 'assistant');
    text += part.message.content;
  }
  assert.equal(text, c.message.content);
});

test('ps shows the loaded model; keep_alive 0 unloads it', async () => {
  const { models: running } = await client.ps();
  const r = running.find((x) => x.name === 'stories:latest');
  assert.ok(r, JSON.stringify(running));
  assert.ok(r.size > 0);
  assert.equal(r.context_length, 256);
  assert.ok(Date.parse(r.expires_at) > Date.now());
  const u = await client.generate({ model: 'stories', prompt: '', keep_alive: 0 });
  assert.equal(u.done_reason, 'unload');
  assert.equal((await client.ps()).models.length, 0);
  const l = await client.generate({ model: 'stories', prompt: '' });
  assert.equal(l.done_reason, 'load');
  assert.equal((await client.ps()).models.length, 1);
});

test('copy and delete keep the store consistent', async () => {
  await client.copy({ source: 'stories', destination: 'stories-copy:v1' });
  let names = (await client.list()).models.map((m) => m.name);
  assert.ok(names.includes('stories-copy:v1'));
  const before = blobs();
  await client.delete({ model: 'stories-copy:v1' });
  names = (await client.list()).models.map((m) => m.name);
  assert.ok(!names.includes('stories-copy:v1'));
  assert.deepEqual(blobs(), before, 'blobs still used by stories stay');
  await assert.rejects(client.delete({ model: 'stories-copy:v1' }), (e) => e.status_code === 404);
});

test('bad input gets a clear error and the server keeps serving', async () => {
  const before = blobs();
  let r = await post('/api/generate', '{"model": ');
  assert.equal(r.status, 400);
  assert.match(r.body.error, /invalid JSON/);
  await assert.rejects(client.generate({ model: 'no-such-model', prompt: 'hi' }),
    (e) => e.status_code === 404 && /not found/.test(e.error));
  await assert.rejects(client.show({ model: '../../etc/passwd' }), (e) => e.status_code === 400);
  await assert.rejects(client.generate({ model: 'stories', prompt: 'hi', options: { num_ctx: -1 } }),
    (e) => e.status_code === 400 && /num_ctx/.test(e.error));
  await assert.rejects(client.generate({ model: 'stories', prompt: 'hi', options: { num_predict: 1e12 } }),
    (e) => e.status_code === 400 && /num_predict/.test(e.error));
  await assert.rejects(client.generate({ model: 'stories', prompt: 'hi', options: { temperature: 'hot' } }),
    (e) => e.status_code === 400 && /temperature/.test(e.error));
  r = await post('/api/chat', JSON.stringify({ model: 'stories', messages: 'hello' }));
  assert.equal(r.status, 400);
  // A 10 MB prompt is truncated to the context, as Ollama does.
  const big = 'Once upon a time there was a cat. '.repeat(300000);
  const g = await client.generate({ model: 'stories', prompt: big, options: { num_predict: 2 } });
  assert.equal(g.done, true);
  assert.ok(g.prompt_eval_count <= 256);
  await assert.rejects(client.create({ model: 'x/../../y', from: 'stories' }), (e) => e.status_code === 400);
  await assert.rejects(client.create({ model: 'fromnothing', from: 'no-such-base' }), (e) => e.status_code === 404);
  assert.deepEqual(blobs(), before);
  assert.match((await client.version()).version, /\d/);
});

test('a client that goes away stops its generation', async () => {
  const stream = await client.generate({ model: 'stories', prompt: 'Once', stream: true, options: { num_predict: -1, num_ctx: 256 } });
  let n = 0;
  for await (const part of stream) {
    if (++n === 3) { stream.abort(); break; }
  }
  // The runner is free again: a short request completes.
  const g = await client.generate({ model: 'stories', prompt: 'Once', options: { num_predict: 3, num_ctx: 256 } });
  assert.equal(g.eval_count, 3);
});

function runnerPids() {
  const pids = [];
  for (const tid of readdirSync(`/proc/${server.pid}/task`)) {
    const kids = readFileSync(`/proc/${server.pid}/task/${tid}/children`, 'utf8').trim();
    if (kids) pids.push(...kids.split(/\s+/).map(Number));
  }
  return pids;
}

test('a killed runner fails its request with a message; the next request starts a new one', async () => {
  const stream = await client.generate({ model: 'stories', prompt: 'Once', stream: true, options: { num_predict: -1, num_ctx: 256 } });
  let n = 0, error;
  try {
    for await (const part of stream) {
      if (++n === 2) {
        const pids = runnerPids();
        assert.equal(pids.length, 1, 'one runner child');
        process.kill(pids[0], 'SIGKILL');
      }
    }
  } catch (e) {
    error = e;
  }
  assert.ok(error, 'the stream ends with an error');
  assert.match(String(error.message ?? error.error), /runner/);
  const g = await client.generate({ model: 'stories', prompt: 'Once', options: { num_predict: 3, num_ctx: 256 } });
  assert.equal(g.eval_count, 3);
});

test('CORS: built-in origins are allowed, others refused', async () => {
  const ok = await fetch(base + '/api/tags', { headers: { Origin: 'http://localhost:3000' } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), 'http://localhost:3000');
  const pre = await fetch(base + '/api/chat', { method: 'OPTIONS', headers: { Origin: 'app://obsidian.md', 'Access-Control-Request-Method': 'POST' } });
  assert.equal(pre.status, 204);
  const bad = await fetch(base + '/api/tags', { headers: { Origin: 'https://evil.example' } });
  assert.equal(bad.status, 403);
});
