// Serving many users: continuous batching keeps answers, the queue bound
// answers 503 at once, and clients that go away free their slots.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { startServer, createStories } from './server.mjs';

const PARALLEL = 8;
const QUEUE = 2;
let srv, client;

before(async () => {
  srv = await startServer({ OLLAMA_NUM_PARALLEL: String(PARALLEL), OLLAMA_MAX_QUEUE: String(QUEUE) });
  client = new Ollama({ host: srv.base });
  await createStories(srv.base, 'stories', { temperature: 0, num_ctx: 256, num_predict: 48 });
});

after(async () => srv && srv.stop());

const prompts = ['Once upon a time', 'Lily went to the park', 'The cat sat on', 'One day, a little boy',
  'Tom and Sue', 'The sun was hot', 'A big red ball', 'Mom said'];

test('concurrent requests return exactly what they return alone (temperature 0)', async () => {
  const alone = [];
  for (const p of prompts.slice(0, PARALLEL)) alone.push((await client.generate({ model: 'stories', prompt: p })).response);
  const together = await Promise.all(prompts.slice(0, PARALLEL).map((p) => client.generate({ model: 'stories', prompt: p })));
  together.forEach((g, i) => assert.equal(g.response, alone[i], `prompt ${i}`));
});

test('a request sharing a prefix with another sequence reuses its cells and keeps its answer', async () => {
  const prefix = 'Once upon a time, there was a little girl named Lily. She loved to play outside. ';
  const a = await client.generate({ model: 'stories', prompt: prefix + 'One day', options: { num_predict: 16 } });
  const fresh = await startServer();
  try {
    const c2 = new Ollama({ host: fresh.base });
    await createStories(fresh.base, 'stories', { temperature: 0, num_ctx: 256 });
    const ref = await c2.generate({ model: 'stories', prompt: prefix + 'Then', options: { num_predict: 16 } });
    const b = await client.generate({ model: 'stories', prompt: prefix + 'Then', options: { num_predict: 16 } });
    assert.equal(b.response, ref.response);
    assert.ok(a.response.length > 0);
  } finally {
    await fresh.stop();
  }
});

test('beyond the queue bound requests get 503 at once; the rest complete', async () => {
  // Hold every slot with streams that run for thousands of tokens, and make sure each runs.
  const streams = await Promise.all(Array.from({ length: PARALLEL }, (_, i) =>
    client.generate({ model: 'stories', prompt: prompts[i], stream: true, options: { num_predict: -1 } })));
  const readers = streams.map((s) => s[Symbol.asyncIterator]());
  for (const r of readers) assert.ok((await r.next()).value, 'the held stream produces');
  // QUEUE requests may wait; every one beyond them is refused without waiting.
  const extra = 3;
  const started = Date.now();
  const pending = Array.from({ length: QUEUE + extra }, (_, i) =>
    client.generate({ model: 'stories', prompt: prompts[i], options: { num_predict: 4 } })
      .then((value) => ({ value, at: Date.now() }), (reason) => ({ reason, at: Date.now() })));
  const refused = [];
  const settled = [];
  for (const p of pending) p.then((r) => (r.reason ? refused : settled).push(r));
  while (refused.length + settled.length < extra && Date.now() - started < 10000) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(settled.length, 0, 'no queued request finishes while the slots are held');
  assert.equal(refused.length, extra, `${refused.length} refused`);
  for (const r of refused) {
    assert.equal(r.reason.status_code, 503, String(r.reason));
    assert.match(r.reason.error, /maximum pending requests/);
  }
  for (const s of streams) s.abort();
  const results = await Promise.all(pending);
  const ok = results.filter((r) => !r.reason);
  assert.equal(ok.length, QUEUE, 'the queued requests complete once the slots are free');
  for (const r of ok) assert.equal(r.value.eval_count, 4);
});

test('clients that disconnect free their slots', async () => {
  const streams = await Promise.all(Array.from({ length: PARALLEL }, (_, i) =>
    client.generate({ model: 'stories', prompt: prompts[i], stream: true, options: { num_predict: -1 } })));
  await Promise.all(streams.map(async (s) => {
    for await (const part of s) { if (part.response) { s.abort(); break; } }
  }));
  // Every slot is free again: PARALLEL short requests complete (they would wait forever
  // otherwise). Until the server has noticed every disconnect (its next write fails), the
  // old leases still count against the queue: a 503 then is retried for a few seconds.
  const generate = async (p) => {
    for (let i = 0; ; ++i) {
      try {
        return await client.generate({ model: 'stories', prompt: p, options: { num_predict: 4 } });
      } catch (e) {
        if (e.status_code !== 503 || i >= 50) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const done = await Promise.all(prompts.slice(0, PARALLEL).map(generate));
  for (const g of done) assert.equal(g.eval_count, 4);
});
