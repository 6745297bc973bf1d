// The causal-LM fixtures of ../shared/fixtures (every architecture) through the whole product
// path (blob upload, /api/create, /api/generate raw, runner): greedy tokens equal
// llama.cpp's golden outputs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ollama } from 'ollama';
import { startServer, shared } from './server.mjs';

const FIXTURES = ['llama', 'llama-e256', 'llama-e256-Q8_0', 'llama-e256-Q4_0', 'llama-e256-Q4_K_M', 'llama-e256-Q6_K',
  'qwen2', 'qwen3', 'qwen3moe', 'gemma2', 'gemma3', 'phi3'];
const dir = join(shared, 'fixtures');
let srv, client;

before(async () => {
  // The golden outputs were made without flash attention; near-ties in their logits
  // (e.g. 7.862 vs 7.856) flip with the other attention path's rounding.
  srv = await startServer({ OLLAMA_FLASH_ATTENTION: '0' });
  client = new Ollama({ host: srv.base });
});
after(async () => srv && srv.stop());

for (const name of FIXTURES) {
  test(`${name}: greedy tokens through the API equal llama.cpp's`, async (t) => {
    const gguf = join(dir, `${name}.gguf`);
    if (!existsSync(gguf)) {
      if (process.env.CI) assert.fail(`test data missing in CI: ${gguf} (set CRIA_SHARED)`);
      t.skip(`NOTICE: ${gguf} not found; set CRIA_SHARED`);
      return;
    }
    const bytes = readFileSync(gguf);
    const digest = 'sha256:' + createHash('sha256').update(bytes).digest('hex');
    const up = await fetch(`${srv.base}/api/blobs/${digest}`, { method: 'POST', body: bytes });
    assert.ok([200, 201].includes(up.status));
    await client.create({ model: name, files: { [`${name}.gguf`]: digest }, parameters: { temperature: 0, num_ctx: 512 } });
    const golden = JSON.parse(readFileSync(join(dir, 'golden', `${name}.json`)));
    for (const c of golden.cases) {
      const n = c.prompt_tokens.length;
      const want = c.generated.tokens.slice(0, c.generated.is_eog.indexOf(true) >= 0 ? c.generated.is_eog.indexOf(true) : undefined);
      const g = await client.generate({ model: name, prompt: c.text, raw: true, options: { num_predict: want.length } });
      assert.deepEqual(g.context.slice(0, n), c.prompt_tokens, `${name} prompt tokens: ${c.text}`);
      assert.deepEqual(g.context.slice(n), want, `${name} generated tokens: ${c.text}`);
    }
  });
}
