// Starts `cria serve` on a free loopback port with its own store, for the tests.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const bin = process.env.CRIA_BIN;
export const source = process.env.CRIA_SOURCE_DIR;
export const shared = process.env.CRIA_SHARED || join(source, '..', 'shared');
export const modelPath = join(source, 'models', 'stories260K.gguf');
export const modelDigest = 'sha256:' + createHash('sha256').update(readFileSync(modelPath)).digest('hex');

// Returns { base, home, models, process, stop() }.
export async function startServer(env = {}, setup = () => {}) {
  const home = mkdtempSync(join(tmpdir(), 'cria-e2e-'));
  const models = join(home, 'models');
  setup(models);
  const proc = spawn(bin, ['serve'], {
    env: { ...process.env, HOME: home, OLLAMA_MODELS: models, OLLAMA_HOST: '127.0.0.1:0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + log)), 20000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/Listening on [^ ]+:(\d+)/);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => reject(new Error(`server exited (${code}):\n` + log)));
  });
  const stop = async () => {
    if (proc.exitCode === null) {
      proc.kill('SIGTERM');
      await new Promise((r) => proc.on('exit', r));
    }
    rmSync(home, { recursive: true, force: true });
  };
  return { base: `http://127.0.0.1:${port}`, home, models, process: proc, stop, log: () => log };
}

// Uploads the bundled model and creates `name` from it with these parameters.
export async function createStories(base, name, parameters) {
  const up = await fetch(`${base}/api/blobs/${modelDigest}`, { method: 'POST', body: readFileSync(modelPath) });
  if (up.status !== 201 && up.status !== 200) throw new Error('upload failed: ' + up.status);
  const res = await fetch(`${base}/api/create`, {
    method: 'POST',
    body: JSON.stringify({ model: name, files: { 'stories260K.gguf': modelDigest }, parameters, stream: false }),
  });
  if (res.status !== 200) throw new Error('create failed: ' + (await res.text()));
}
