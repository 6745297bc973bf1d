// Structured output end to end: `format` as "json" and as JSON schemas constrains what
// stories260K writes. Many seeded generations at temperature 1 per schema; every answer
// must parse and validate (a small validator for the keywords the grammar supports).
//
// FORMAT_RUNS overrides the number of generations per schema. The server runs with one
// compute thread: the model is tiny, and two OpenMP threads spin-waiting on a busy
// two-core machine made single answers take up to a minute instead of ~50 ms.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Ollama } from 'ollama';
import { startServer, createStories } from './server.mjs';

const RUNS = Number(process.env.FORMAT_RUNS || 100);
const PARALLEL = 2;
let srv, client;

before(async () => {
  srv = await startServer({ OLLAMA_NUM_PARALLEL: String(PARALLEL), CRIA_NUM_THREADS: '1' });
  client = new Ollama({ host: srv.base });
  await createStories(srv.base, 'stories', { num_ctx: 512 });
});

after(async () => srv && srv.stop());

function validate(v, s, root = s) {
  if (s.$ref) return validate(v, root.$defs[s.$ref.split('/').pop()], root);
  if ('const' in s && JSON.stringify(v) !== JSON.stringify(s.const)) return `const: ${JSON.stringify(v)}`;
  if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) return `enum: ${JSON.stringify(v)}`;
  if (s.anyOf && s.anyOf.every((sub) => validate(v, sub, root) !== null)) return `anyOf: ${JSON.stringify(v)}`;
  const types = s.type === undefined ? null : [].concat(s.type);
  const is = (t) => ({
    object: v !== null && typeof v === 'object' && !Array.isArray(v),
    array: Array.isArray(v),
    string: typeof v === 'string',
    number: typeof v === 'number',
    integer: Number.isInteger(v),
    boolean: typeof v === 'boolean',
    null: v === null,
  })[t];
  if (types && !types.some(is)) return `type ${types}: ${JSON.stringify(v)}`;
  if (is('object') && s.properties) {
    for (const [k, sub] of Object.entries(v)) {
      if (!(k in s.properties)) return `extra property ${k}`;
      const e = validate(sub, s.properties[k], root);
      if (e) return e;
    }
    for (const k of s.required || []) if (!(k in v)) return `missing ${k}`;
  }
  if (is('array')) {
    if (v.length < (s.minItems ?? 0) || v.length > (s.maxItems ?? Infinity)) return `items count ${v.length}`;
    for (const x of s.items ? v : []) {
      const e = validate(x, s.items, root);
      if (e) return e;
    }
  }
  if (is('string')) {
    const n = [...v].length;
    if (n < (s.minLength ?? 0) || n > (s.maxLength ?? Infinity)) return `length ${n}`;
  }
  return null;
}

// 'complete' when s is one JSON value, 'prefix' when it stops early but could be
// continued into one; throws a SyntaxError otherwise.
function jsonPrefix(s) {
  const END = Symbol('end');
  let i = 0;
  const ws = () => { while (i < s.length && ' \t\n\r'.includes(s[i])) ++i; };
  const next = () => { if (i >= s.length) throw END; return s[i]; };
  const bad = () => { throw new SyntaxError(`bad JSON at ${i}: ${s.slice(0, i + 1)}`); };
  const word = (w) => { for (const c of w) if (next() !== c) bad(); else ++i; };
  const string = () => {
    word('"');
    for (;;) {
      const c = next(); ++i;
      if (c === '"') return;
      if (c < ' ') bad();
      if (c === '\\') {
        const e = next(); ++i;
        if (e === 'u') { for (let k = 0; k < 4; ++k) { if (!/[0-9a-fA-F]/.test(next())) bad(); ++i; } }
        else if (!'"\\/bfnrt'.includes(e)) bad();
      }
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(s.slice(i));
    const rest = /^[-+0-9.eE]*/.exec(s.slice(i))[0];
    if (i + rest.length >= s.length) { i = s.length; throw END; }  // may still grow
    if (!m || m[0].length !== rest.length) bad();
    i += rest.length;
  };
  const value = () => {
    ws();
    const c = next();
    if (c === '{') return container('}', () => { ws(); string(); ws(); word(':'); value(); });
    if (c === '[') return container(']', value);
    if (c === '"') return string();
    if (c === 't') return word('true');
    if (c === 'f') return word('false');
    if (c === 'n') return word('null');
    return number();
  };
  const container = (close, item) => {
    ++i; ws();
    if (next() === close) { ++i; return; }
    for (;;) {
      item(); ws();
      const c = next(); ++i;
      if (c === close) return;
      if (c !== ',') bad();
    }
  };
  try {
    value();
    if (i !== s.length) bad();
    return 'complete';
  } catch (e) {
    if (e === END) return 'prefix';
    throw e;
  }
}

const schemas = {
  flat: {
    type: 'object',
    properties: { name: { type: 'string', maxLength: 12 }, age: { type: 'integer' }, happy: { type: 'boolean' } },
    required: ['name', 'age', 'happy'],
  },
  nested: {
    type: 'object',
    properties: {
      hero: {
        type: 'object',
        properties: { name: { type: 'string', maxLength: 10 }, pet: { type: 'object', properties: { kind: { enum: ['cat', 'dog'] } }, required: ['kind'] } },
        required: ['name', 'pet'],
      },
      score: { type: 'number' },
    },
    required: ['hero', 'score'],
  },
  array: {
    type: 'object',
    properties: { words: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 6 }, minItems: 1, maxItems: 3 } },
    required: ['words'],
  },
  enum: {
    type: 'object',
    properties: { mood: { enum: ['happy', 'sad', 'angry'] }, size: { type: ['integer', 'null'] }, tag: { const: 'story' } },
    required: ['mood', 'size', 'tag'],
  },
  anyOfRef: {
    $defs: { item: { type: 'object', properties: { id: { type: 'integer' }, ok: { type: 'boolean' } }, required: ['id', 'ok'] } },
    anyOf: [{ $ref: '#/$defs/item' }, { type: 'array', items: { $ref: '#/$defs/item' }, maxItems: 2 }],
  },
};

// Runs n generations, PARALLEL at a time; returns the answers.
async function generate(format, n) {
  const out = [];
  for (let i = 0; i < n; i += PARALLEL) {
    const batch = [];
    for (let k = i; k < Math.min(n, i + PARALLEL); ++k) {
      batch.push(client.generate({
        model: 'stories', prompt: 'Once upon a time', format,
        options: { temperature: 1, seed: k + 1, num_predict: 256, num_ctx: 512 },
      }));
    }
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

for (const [name, schema] of Object.entries(schemas)) {
  test(`format schema "${name}": ${RUNS} seeded answers parse and validate`, async () => {
    const answers = await generate(schema, RUNS);
    for (const [i, g] of answers.entries()) {
      assert.equal(g.done_reason, 'stop', `seed ${i + 1}: ${g.response}`);
      let v;
      assert.doesNotThrow(() => { v = JSON.parse(g.response); }, `seed ${i + 1}: ${g.response}`);
      assert.equal(validate(v, schema), null, `seed ${i + 1}: ${g.response}`);
    }
    assert.ok(new Set(answers.map((g) => g.response)).size > 1, 'different seeds give different answers');
  });
}

// stories260K rarely closes a free-form object (it keeps adding members with story text),
// so most answers stop at num_predict: those must be a JSON object cut short.
test(`format "json": ${RUNS} seeded answers are JSON objects, complete or cut at num_predict`, async () => {
  const answers = await generate('json', RUNS);
  for (const [i, g] of answers.entries()) {
    const why = `seed ${i + 1}: ${g.response}`;
    assert.ok(g.response.startsWith('{'), why);
    if (g.done_reason === 'stop') {
      assert.equal(jsonPrefix(g.response), 'complete', why);
      assert.equal(validate(JSON.parse(g.response), { type: 'object' }), null, why);
    } else {
      assert.equal(g.done_reason, 'length', why);
      assert.equal(g.eval_count, 256, why);
      assert.equal(jsonPrefix(g.response), 'prefix', why);
    }
  }
});

test('the JSON prefix checker used above refuses what is not JSON', () => {
  assert.equal(jsonPrefix('{"a": [1, -2.5e3, "x\\u00e9"], "b": null}'), 'complete');
  assert.equal(jsonPrefix('{"a": [1, tr'), 'prefix');
  assert.equal(jsonPrefix('{"a": "x\\u0'), 'prefix');
  for (const s of ['{"a" 1', '{"a": 01}', '{"a": tx', '{"a": "\\q"}', '[1,]', '{} x', '{"a": "\n"}']) {
    assert.throws(() => jsonPrefix(s), SyntaxError, s);
  }
});

test('a schema the grammar cannot express is a 400', async () => {
  await assert.rejects(
    client.generate({ model: 'stories', prompt: 'hi', format: { type: 'object', not: { type: 'string' } } }),
    (e) => e.status_code === 400);
});
