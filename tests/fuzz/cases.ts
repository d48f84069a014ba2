/**
 * The bad inputs of the gateway fuzz test: every route of the API (services/gateway README) with
 * ids, rounds, queries, bodies, headers and methods that are each wrong in at least one way. Every
 * case must be answered 4xx with the gateway's error shape and change nothing.
 * The fixed lists are walked whole; `randomCases` combines them with a seeded PRNG.
 */
import { seededRandom } from '../helpers/bucket.ts';

export interface FuzzCase {
  label: string;
  method: string;
  path: string;
  /** Whose key goes in Authorization (null: none); `header` overrides it with a raw value. */
  tenant: 'acme' | 'globex' | null;
  authorization?: string;
  body?: string;
  contentType?: string;
  /** The one right status, where the case pins it (401 for keys, 404 for other tenants' runs). */
  expectStatus?: number;
}

export interface FuzzTargets {
  ownRun: string;
  foreignRun: string;
  /** A valid config that would create a run (used only with a defect elsewhere). */
  validConfig: Record<string, unknown>;
}

/** Run ids that must never reach a key: traversal, encodings, unicode, NUL, length, case. */
export const BAD_IDS: readonly string[] = [
  '..%2f..%2fetc%2fpasswd',
  '%2e%2e%2f%2e%2e',
  '..%5c..%5cwindows',
  '%252e%252e%252f',
  '%00',
  'acme--x%00.json',
  'a'.repeat(64),
  'a'.repeat(5000),
  encodeURIComponent('ünïcödé'),
  encodeURIComponent('acme--\u202egnp'),
  encodeURIComponent('😀'),
  'ACME--20260101-000000-deadbeef',
  'acme--20260101-000000-deadbeef', // well-formed but does not exist
  '-acme',
  'acme_run',
  'acme--x.json',
  '%20acme',
  encodeURIComponent('acme--x/round=0'),
  'acme--x%2fround=0%2f_manifest.json',
  'run.json',
  '*',
  '%2a',
  '$%7Bjndi:ldap%7D',
  "acme'%20OR%201=1",
];

export const BAD_ROUNDS: readonly string[] = ['-1', '01', '1.5', '1e3', 'abc', '10000', '99999999999999999999', '%00', '..%2f..', '0x1', encodeURIComponent('٣'), ' 1', '%20'];

export const BAD_QUERIES: readonly string[] = [
  'limit=0',
  'limit=-1',
  'limit=101',
  'limit=abc',
  'limit=1e9',
  'limit=',
  'cursor=',
  'cursor=%00',
  `cursor=${'x'.repeat(3000)}`,
  'unknown=1',
  'limit=1&limit=2&x=y',
  `${'a'.repeat(2000)}=1`,
];

const deepArray = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Bodies that are not JSON or not a JSON object at all. */
export const MALFORMED_BODIES: readonly { label: string; body: string }[] = [
  { label: 'truncated', body: '{"num_iterations": 1' },
  { label: 'trailing comma', body: '{"a":1,}' },
  { label: 'single quotes', body: "{'a':1}" },
  { label: 'NaN literal', body: '{"beta": NaN}' },
  { label: 'empty', body: '' },
  { label: 'whitespace', body: '   ' },
  { label: 'BOM', body: '\ufeff{}x' },
  { label: 'NUL', body: '{"a":"\u0000"' },
  { label: 'binary', body: '\u0000\u0001\u0002\u00ff' },
  { label: 'lone surrogate', body: '{"prompts":["\ud800"]' },
  { label: 'deep array', body: deepArray(50_000) },
  { label: 'deep object', body: deepObject(20_000) },
];

/** JSON that parses but is the wrong shape for a run config. */
export function badConfigs(valid: Record<string, unknown>): { label: string; body: string }[] {
  const v = (patch: Record<string, unknown>): string => JSON.stringify({ ...valid, ...patch });
  return [
    { label: 'null', body: 'null' },
    { label: 'array', body: '[]' },
    { label: 'number', body: '42' },
    { label: 'string', body: '"run"' },
    { label: 'unknown field', body: v({ learning_rat: 1e-3 }) },
    { label: 'many unknown fields', body: JSON.stringify(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i]))) },
    { label: 'wrong type', body: v({ num_iterations: '3' }) },
    { label: 'negative', body: v({ num_iterations: -1 }) },
    { label: 'zero K', body: v({ samples_per_prompt: 1 }) },
    { label: 'float int', body: v({ num_iterations: 1.5 }) },
    { label: 'huge int', body: v({ num_iterations: 1e300 }) },
    { label: 'infinity', body: '{"beta": 1e999}' },
    { label: 'bad enum', body: v({ loss_type: 'ppo' }) },
    { label: 'bad optim', body: v({ optim: 'sgd; rm -rf /' }) },
    { label: 'null field', body: v({ beta: null }) },
    { label: 'empty prompts', body: v({ prompts: [] }) },
    { label: 'empty prompt', body: v({ prompts: [''] }) },
    { label: 'prompt object extra', body: v({ prompts: [{ prompt: 'x', role: 'system' }] }) },
    { label: 'duplicate prompt ids', body: v({ prompts: [{ prompt_id: 'a', prompt: 'x' }, { prompt_id: 'a', prompt: 'y' }] }) },
    { label: 'prompts key traversal', body: v({ prompts: { key: '../../runs/x/run.jsonl' } }) },
    { label: 'prompts key encoded traversal', body: v({ prompts: { key: '%2e%2e/%2e%2e/x.jsonl' } }) },
    { label: 'prompts key absolute', body: v({ prompts: { key: '/etc/passwd.jsonl' } }) },
    { label: 'prompts key other tenant', body: v({ prompts: { key: 'tenants/globex/p.jsonl' } }) },
    { label: 'prompts key missing', body: v({ prompts: { key: 'nothing-here.jsonl' } }) },
    { label: 'prompts key not jsonl', body: v({ prompts: { key: 'p.json' } }) },
    { label: 'prompts key NUL', body: v({ prompts: { key: 'a\u0000.jsonl' } }) },
    { label: 'prompts key extra field', body: v({ prompts: { key: 'p.jsonl', bucket: 'other' } }) },
    { label: 'prompts deep nesting', body: `{"prompts": ${deepArray(5_000)}}` },
    { label: 'empty model', body: v({ model_name_or_path: '' }) },
    { label: 'proto pollution', body: `{"__proto__": {"num_iterations": 1}, "num_iterations": "x"}` },
    { label: 'constructor key', body: JSON.stringify({ ...valid, constructor: { prototype: { admin: true } } }) },
    { label: 'sample_seeds mismatch', body: v({ sample_seeds: [1, 2, 3] }) },
    { label: 'openai without url', body: v({ generation_backend: 'openai' }) },
    { label: 'bad openai url', body: v({ generation_backend: 'openai', openai_base_url: 'file:///etc/passwd', openai_model: 'm' }) },
  ];
}

export const BAD_PROMPT_BODIES: readonly { label: string; body: string }[] = [
  { label: 'no prompts', body: '{}' },
  { label: 'prompts string', body: '{"prompts":"x"}' },
  { label: 'prompts empty', body: '{"prompts":[]}' },
  { label: 'prompt number', body: '{"prompts":[1]}' },
  { label: 'extra field', body: '{"prompts":["a"],"run_id":"globex--x"}' },
  { label: 'key traversal', body: '{"prompts":{"key":"../globex/p.jsonl"}}' },
  { label: 'key missing', body: '{"prompts":{"key":"missing.jsonl"}}' },
  { label: 'null', body: 'null' },
];

export const BAD_CANCEL_BODIES: readonly { label: string; body: string }[] = [
  { label: 'empty reason', body: '{"reason":""}' },
  { label: 'reason number', body: '{"reason":1}' },
  { label: 'long reason', body: JSON.stringify({ reason: 'r'.repeat(1001) }) },
  { label: 'unknown field', body: '{"reason":"x","status":"completed"}' },
  { label: 'array', body: '[]' },
  { label: 'null', body: 'null' },
];

export const BAD_CONTENT_TYPES: readonly string[] = ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'json', 'application/jsonp'];

export const BAD_AUTH: readonly { label: string; tenant: null; authorization?: string }[] = [
  { label: 'no key', tenant: null },
  { label: 'wrong key', tenant: null, authorization: 'Bearer sk-wrong-0000000000000000' },
  { label: 'basic scheme', tenant: null, authorization: 'Basic YWNtZTpwYXNz' },
  { label: 'bearer without key', tenant: null, authorization: 'Bearer' },
  { label: 'two tokens', tenant: null, authorization: 'Bearer a b' },
  { label: 'hash instead of key', tenant: null, authorization: `Bearer ${'0'.repeat(64)}` },
];

/** Every route of the API with its defect-free parts, to put one defect into. */
function routes(t: FuzzTargets): { method: string; path: string; body?: string }[] {
  return [
    { method: 'POST', path: '/v1/runs', body: JSON.stringify(t.validConfig) },
    { method: 'GET', path: '/v1/runs' },
    { method: 'GET', path: `/v1/runs/${t.ownRun}` },
    { method: 'GET', path: `/v1/runs/${t.ownRun}/rounds/0` },
    { method: 'GET', path: `/v1/runs/${t.ownRun}/rounds/0/samples` },
    { method: 'POST', path: `/v1/runs/${t.ownRun}/prompts`, body: '{"prompts":["one more"]}' },
    { method: 'POST', path: `/v1/runs/${t.ownRun}/cancel`, body: '{"reason":"fuzz"}' },
    { method: 'POST', path: `/v1/runs/${t.ownRun}/resume` },
  ];
}

/** The enumerated cases: each list walked whole against every route it applies to. */
export function fixedCases(t: FuzzTargets): FuzzCase[] {
  const cases: FuzzCase[] = [];
  const json = 'application/json';
  // 1. Authentication on every route (valid otherwise: a missing key must still change nothing).
  for (const route of [...routes(t), { method: 'GET', path: '/v1/me' }]) {
    for (const auth of BAD_AUTH) {
      cases.push({
        ...route,
        label: `auth ${auth.label}: ${route.method} ${route.path}`,
        tenant: null,
        ...(auth.authorization === undefined ? {} : { authorization: auth.authorization }),
        ...(route.body ? { contentType: json } : {}),
        expectStatus: 401,
      });
    }
  }
  // 2. Another tenant's run, on every run route: 404, as if it did not exist.
  for (const route of routes({ ...t, ownRun: t.foreignRun }).slice(2)) {
    cases.push({ label: `foreign run: ${route.method} ${route.path}`, ...route, tenant: 'acme', ...(route.body ? { contentType: json } : {}), expectStatus: 404 });
  }
  // 3. Bad run ids on every run route.
  for (const id of BAD_IDS) {
    for (const route of routes({ ...t, ownRun: id }).slice(2)) {
      cases.push({ label: `bad id ${id.slice(0, 40)}: ${route.method}`, ...route, tenant: 'acme', ...(route.body ? { contentType: json } : {}) });
    }
  }
  // 4. Bad rounds.
  for (const round of BAD_ROUNDS) cases.push({ label: `bad round ${round}`, method: 'GET', path: `/v1/runs/${t.ownRun}/rounds/${round}`, tenant: 'acme' });
  cases.push({ label: 'round past num_iterations', method: 'GET', path: `/v1/runs/${t.ownRun}/rounds/9999`, tenant: 'acme' });
  // 5. Bad queries.
  for (const query of BAD_QUERIES) cases.push({ label: `bad query ${query.slice(0, 40)}`, method: 'GET', path: `/v1/runs?${query}`, tenant: 'acme' });
  for (const query of [...BAD_QUERIES, 'limit=51', 'cursor=1', 'cursor=1.2.3', 'cursor=-1.1', 'cursor=9999999.1']) {
    cases.push({ label: `bad samples query ${query.slice(0, 40)}`, method: 'GET', path: `/v1/runs/${t.ownRun}/rounds/0/samples?${query}`, tenant: 'acme' });
  }
  cases.push({ label: 'samples of a round past num_iterations', method: 'GET', path: `/v1/runs/${t.ownRun}/rounds/9999/samples`, tenant: 'acme' });
  // 6. Bodies: malformed on every body route, bad configs on POST /v1/runs, bad prompt/cancel bodies.
  const bodyRoutes = [`/v1/runs`, `/v1/runs/${t.ownRun}/prompts`, `/v1/runs/${t.ownRun}/cancel`];
  for (const path of bodyRoutes) {
    for (const { label, body } of MALFORMED_BODIES) {
      // An empty cancel body is a valid "cancel without reason": not a bad input.
      if (path.endsWith('/cancel') && body.trim() === '') continue;
      cases.push({ label: `malformed body (${label}): POST ${path}`, method: 'POST', path, tenant: 'acme', body, contentType: json });
    }
    for (const type of BAD_CONTENT_TYPES) {
      cases.push({ label: `content-type ${type}: POST ${path}`, method: 'POST', path, tenant: 'acme', body: path.endsWith('cancel') ? '{"reason":"x"}' : JSON.stringify(t.validConfig), contentType: type });
    }
    cases.push({ label: `huge body: POST ${path}`, method: 'POST', path, tenant: 'acme', body: JSON.stringify({ prompts: ['x'.repeat(1_200_000)] }), contentType: json });
  }
  for (const { label, body } of badConfigs(t.validConfig)) cases.push({ label: `config ${label}`, method: 'POST', path: '/v1/runs', tenant: 'acme', body, contentType: json });
  for (const { label, body } of BAD_PROMPT_BODIES) cases.push({ label: `prompts ${label}`, method: 'POST', path: `/v1/runs/${t.ownRun}/prompts`, tenant: 'acme', body, contentType: json });
  for (const { label, body } of BAD_CANCEL_BODIES) cases.push({ label: `cancel ${label}`, method: 'POST', path: `/v1/runs/${t.ownRun}/cancel`, tenant: 'acme', body, contentType: json });
  // 7. Wrong methods and unknown routes.
  for (const [method, path] of [
    ['PUT', '/v1/runs'],
    ['DELETE', '/v1/runs'],
    ['PATCH', `/v1/runs/${t.ownRun}`],
    ['DELETE', `/v1/runs/${t.ownRun}`],
    ['PUT', `/v1/runs/${t.ownRun}/prompts`],
    ['GET', `/v1/runs/${t.ownRun}/cancel`],
    ['GET', `/v1/runs/${t.ownRun}/resume`],
    ['GET', `/v1/runs/${t.ownRun}/rounds`],
    ['GET', `/v1/runs/${t.ownRun}/rounds/0/extra`],
    ['GET', '/v1/runz'],
    ['GET', '/v2/runs'],
    ['POST', '/health/live'],
    ['DELETE', '/openapi.json'],
  ] as const) {
    cases.push({ label: `route ${method} ${path}`, method, path, tenant: 'acme' });
  }
  // 8. A state conflict: resume of a running run (409).
  cases.push({ label: 'resume running run', method: 'POST', path: `/v1/runs/${t.ownRun}/resume`, tenant: 'acme', expectStatus: 409 });
  // Another tenant's key on our run: 404, not 403 (its existence is not revealed).
  cases.push({ label: 'globex key on acme run', method: 'GET', path: `/v1/runs/${t.ownRun}`, tenant: 'globex', expectStatus: 404 });
  cases.push({ label: 'globex key cancels acme run', method: 'POST', path: `/v1/runs/${t.ownRun}/cancel`, tenant: 'globex', expectStatus: 404 });
  return cases;
}

/** `count` random combinations (seeded): a random route with one to three random defects. */
export function randomCases(t: FuzzTargets, seed: number, count: number): FuzzCase[] {
  const rnd = seededRandom(seed);
  const out: FuzzCase[] = [];
  const configs = badConfigs(t.validConfig);
  for (let i = 0; i < count; i++) {
    const id = rnd.next() < 0.5 ? rnd.pick(BAD_IDS) : rnd.pick([t.foreignRun, rnd.pick(BAD_IDS)]);
    const route = rnd.pick(routes({ ...t, ownRun: id }));
    const c: FuzzCase = { label: `random #${i} (seed ${seed})`, method: route.method, path: route.path, tenant: 'acme' };
    if (route.path === '/v1/runs' && route.method === 'POST') {
      // POST /v1/runs has no id: the defect is the body or the key.
      const body = rnd.next() < 0.5 ? rnd.pick(configs) : rnd.pick(MALFORMED_BODIES);
      c.body = body.body;
      c.contentType = rnd.next() < 0.85 ? 'application/json' : rnd.pick(BAD_CONTENT_TYPES);
      c.label += ` config ${body.label}`;
    } else if (route.path === '/v1/runs') {
      c.path = `/v1/runs?${rnd.pick(BAD_QUERIES)}`;
    } else if (route.body !== undefined) {
      const body = rnd.next() < 0.5 ? route.body : rnd.pick([...MALFORMED_BODIES, ...BAD_PROMPT_BODIES].filter((b) => b.body.trim() !== ''));
      c.body = typeof body === 'string' ? body : body.body;
      c.contentType = 'application/json';
    }
    if (rnd.next() < 0.2) {
      const auth = rnd.pick(BAD_AUTH);
      c.tenant = null;
      if (auth.authorization) c.authorization = auth.authorization;
    }
    out.push(c);
  }
  return out;
}
