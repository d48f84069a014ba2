/**
 * Bad input and security at the gateway (issue 10, part 2), through app.request() of createApp with
 * real emulator-backed deps (aws4fetch against fauxqs): every route gets malformed JSON, wrong
 * types, unknown fields, huge and deeply nested bodies, odd ids (traversal, encodings, unicode,
 * NUL, length), bad queries, wrong methods and keys. Each answer must be 4xx with the gateway's
 * error shape, never 5xx, never 403; the bucket and every queue must be unchanged afterwards, every
 * key under runs/ must be in core's layout, and no key or secret may appear in the logs.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ERROR_CODES } from '@sppo/gateway';
import { diffSnapshots, keysOutsideLayout, queueDepths, snapshotBucket, type BucketSnapshot } from '../helpers/bucket.ts';
import { reportFigures } from '../helpers/figures.ts';
import { startSystem, type System } from '../helpers/system.ts';
import { badConfigs, fixedCases, randomCases, type FuzzCase, type FuzzTargets } from './cases.ts';

const SEED = Number(process.env.SPPO_FUZZ_SEED ?? 20240517);
const RANDOM_CASES = 250;

let system: System;
let targets: FuzzTargets;
let before: BucketSnapshot;
let depthsBefore: Record<string, number>;
const figures = { bad_inputs: 0, status_5xx: 0, status_403: 0, state_changes: 0, secrets_in_logs: 0 };
const sentKeys = new Set<string>();
/** Answers that contained a key or the AWS secret (must stay empty). */
const leakyAnswers: string[] = [];

async function send(c: FuzzCase): Promise<{ status: number; text: string; headers: Headers; body: { error?: { code?: unknown; message?: unknown } } }> {
  const headers: Record<string, string> = {};
  if (c.tenant !== null) headers.authorization = `Bearer ${system.apiKeys[c.tenant]}`;
  else if (c.authorization !== undefined) {
    headers.authorization = c.authorization;
    sentKeys.add(c.authorization.replace(/^\S+\s*/, ''));
  }
  if (c.contentType !== undefined) headers['content-type'] = c.contentType;
  const res = await system.app.request(c.path, { method: c.method, headers, ...(c.body === undefined ? {} : { body: c.body }) });
  const text = await res.text();
  for (const secret of [system.apiKeys.acme, system.apiKeys.globex, system.awsSecret, ...sentKeys]) {
    if (secret.length >= 8 && text.includes(secret)) leakyAnswers.push(`${c.label}: answer contains a key or secret`);
  }
  let body = {};
  try {
    body = JSON.parse(text) as object;
  } catch {
    // asserted below
  }
  return { status: res.status, text, headers: res.headers, body };
}

function allQueues(): Record<string, import('@sppo/cloud').Queue> {
  return {
    ...Object.fromEntries(Object.entries(system.queues).map(([k, q]) => [k, q])),
    ...Object.fromEntries(Object.entries(system.dlqs).map(([k, q]) => [`${k}-dlq`, q])),
  };
}

beforeAll(async () => {
  system = await startSystem({ services: [] });
  // Another tenant's prompt file: a traversal that escaped the tenant area would find it.
  await system.objects.put('tenants/globex/p.jsonl', '{"prompt":"secret prompt of globex"}\n');
  const validConfig = { prompts: ['a', 'b'], num_iterations: 1, judge_model: 'rule:length', model_name_or_path: 'models/not-in-bucket' };
  const create = async (tenant: 'acme' | 'globex') => {
    const res = await system.call('POST', '/v1/runs', { tenant, body: validConfig });
    expect(res.status, res.text).toBe(201);
    return res.body.run_id as string;
  };
  targets = { ownRun: await create('acme'), foreignRun: await create('globex'), validConfig };
  before = await snapshotBucket(system.objects);
  depthsBefore = await queueDepths(allQueues());
});

afterAll(async () => {
  reportFigures('gateway-fuzz', figures);
  await system?.stop();
});

describe('gateway under bad input', () => {
  test('every bad request is a 4xx in the error shape, never 5xx or 403', async () => {
    const cases = [...fixedCases(targets), ...randomCases(targets, SEED, RANDOM_CASES)];
    const problems: string[] = [];
    for (const c of cases) {
      const res = await send(c);
      figures.bad_inputs += 1;
      if (res.status >= 500) figures.status_5xx += 1;
      if (res.status === 403) figures.status_403 += 1;
      const where = `${c.label} -> ${res.status} ${res.text.slice(0, 200)}`;
      if (res.status < 400 || res.status >= 500 || res.status === 403) {
        problems.push(`status: ${where}`);
        continue;
      }
      if (c.expectStatus !== undefined && res.status !== c.expectStatus) problems.push(`expected ${c.expectStatus}: ${where}`);
      if (res.status === 401 && res.headers.get('www-authenticate') === null) problems.push(`401 without WWW-Authenticate: ${where}`);
      const code = res.body.error?.code;
      const message = res.body.error?.message;
      if (typeof code !== 'string' || !(ERROR_CODES as readonly string[]).includes(code)) problems.push(`error.code: ${where}`);
      if (typeof message !== 'string' || message.length < 10) problems.push(`error.message: ${where}`);
      // A clear message, not an echo of the input or a stack trace.
      if (res.text.length > 20_000) problems.push(`answer of ${res.text.length} bytes: ${c.label}`);
      if (/\n\s+at |node_modules|file:\/\//.test(res.text)) problems.push(`internals in answer: ${where}`);
    }
    expect(problems, `${problems.length} of ${cases.length} cases answered wrongly (seed ${SEED})`).toEqual([]);
  });

  test('another tenant\'s run is indistinguishable from a run that does not exist', async () => {
    const fake = targets.foreignRun.replace(/^globex--/, 'globex--').replace(/[0-9a-f]{8}$/, '00000000');
    for (const suffix of ['', '/rounds/0', '/rounds/0/samples']) {
      const foreign = await system.call('GET', `/v1/runs/${targets.foreignRun}${suffix}`);
      const missing = await system.call('GET', `/v1/runs/${fake}${suffix}`);
      expect(foreign.status).toBe(404);
      expect(missing.status).toBe(404);
      expect(foreign.text.replaceAll(targets.foreignRun, 'ID')).toBe(missing.text.replaceAll(fake, 'ID'));
      expect(foreign.text).not.toContain('globex"');
    }
    // Listing shows only the caller's runs.
    const list = await system.call('GET', '/v1/runs');
    const ids = (list.body.runs as { run_id: string }[]).map((r) => r.run_id);
    expect(ids).toEqual([targets.ownRun]);
    // The owner still sees its run.
    expect((await system.call('GET', `/v1/runs/${targets.foreignRun}`, { tenant: 'globex' })).status).toBe(200);
  });

  test('nothing changed: same objects, byte for byte, and same queue depths', async () => {
    const after = await snapshotBucket(system.objects);
    const changes = diffSnapshots(before, after);
    figures.state_changes += changes.length;
    expect(changes).toEqual([]);
    expect(await queueDepths(allQueues())).toEqual(depthsBefore);
  });

  test('every key in the bucket is derived from validated ids (core parseKey accepts all of runs/)', async () => {
    const keys = (await system.objects.list('')).map((o) => o.key);
    expect(keysOutsideLayout(keys)).toEqual([]);
    // The only keys outside runs/ are the fixture's own.
    expect(keys.filter((k) => !k.startsWith('runs/'))).toEqual(['tenants/globex/p.jsonl']);
  });

});

// Bugs the sweep found (tests/README.md, "Bugs found and fixed"), asserted one by one with the
// reason, so a regression names itself. Their bodies are also in the sweep above.
describe('bugs the sweep found', () => {
  const config = (label: string): string => {
    const found = badConfigs(targets.validConfig).find((b) => b.label === label);
    if (found === undefined) throw new Error(`no bad config labelled ${label}`);
    return found.body;
  };
  const post = async (body: string) => {
    const res = await send({ label: 'found bug', method: 'POST', path: '/v1/runs', tenant: 'acme', body, contentType: 'application/json' });
    figures.bad_inputs += 1;
    if (res.status >= 500) figures.status_5xx += 1;
    return res;
  };

  // core's parseRunConfig overflowed the stack (RangeError) on a 10 KB body whose `prompts` is an
  // array nested 5000 deep: a 500. The gateway now refuses bodies nested past MAX_JSON_DEPTH (64)
  // and core's parse turns any depth problem into a ConfigError.
  test('a deeply nested prompts value is a 400, not a 500', async () => {
    const res = await post(config('prompts deep nesting'));
    expect(res.status).toBe(400);
    expect(String(res.body.error?.message)).toContain('64 levels');
  });

  // core's runConfigSchema typed openai_base_url as z.url(), which accepts file:, ftp:, data:, ...
  test('openai_base_url must be an http(s) URL', async () => {
    const res = await post(config('bad openai url'));
    expect(res.status).toBe(400);
  });

  // 500 unknown fields (a 10 KB body) got a 1.2 MB answer: every issue repeated the list of valid
  // keys. Now the keys are listed once per object and at most 50 issues are reported.
  test('a body with many unknown fields gets a bounded answer', async () => {
    const res = await post(config('many unknown fields'));
    expect(res.status).toBe(400);
    expect(res.text.length).toBeLessThan(64 * 1024);
  });

  // services/gateway createRun wrote the prompt pool BEFORE copyBaseCheckpoint rejected a
  // model_name_or_path in another tenant's area: an orphan runs/{id}/prompts/prompts.jsonl. The
  // source is now checked before anything is written.
  test('a rejected model_name_or_path leaves no object behind', async () => {
    const snapshot = await snapshotBucket(system.objects);
    const res = await post(JSON.stringify({ ...targets.validConfig, model_name_or_path: `runs/${targets.foreignRun}/checkpoints/0` }));
    expect(res.status).toBe(400);
    expect(diffSnapshots(snapshot, await snapshotBucket(system.objects))).toEqual([]);
  });
});

describe('opaque cursors', () => {
  test('a forged cursor never lists another tenant\'s runs and never fails with 5xx', async () => {
    for (const cursor of ['..%2f..%2f', 'runs%2Fglobex--', encodeURIComponent(`runs/${targets.foreignRun}/`), 'Z', '0']) {
      figures.bad_inputs += 1;
      const res = await system.call('GET', `/v1/runs?cursor=${cursor}`);
      expect(res.status, res.text).toBeLessThan(500);
      expect(res.text).not.toContain('globex');
    }
  });
});

// Last, so the scan covers every request above.
describe('logs', () => {
  test('no API key, tried key or AWS secret appears in the logs or in any answer', () => {
    const secrets = [system.apiKeys.acme, system.apiKeys.globex, system.awsSecret, ...[...sentKeys].filter((k) => k.length >= 8)];
    const logs = system.gatewayLogs.join('\n');
    // The gateway did log (the runs created in beforeAll), so the scan is not vacuous.
    expect(system.gatewayLogs.some((l) => l.includes('"run.created"'))).toBe(true);
    expect(leakyAnswers).toEqual([]);
    const leaked = secrets.filter((s) => logs.includes(s));
    figures.secrets_in_logs += leaked.length;
    expect(leaked).toEqual([]);
  });
});
