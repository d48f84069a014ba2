// The run API through app.request(), against the real emulator: every route, every error path,
// auth and tenancy.
import { manifestKey, promptsKey, runConfigKey, runStatusKey, checkpointCompleteKey, failureKey, MAX_REPORTED_ISSUES, parseCompleteMarker, judgeMetricsKey } from '@sppo/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { errorBodySchema, roundViewSchema, runCreatedSchema, runListSchema, runViewSchema } from '../api/schemas.ts';
import { handleEvent } from '../automation/handle-event.ts';
import { createApp } from '../app.ts';
import { depsFromEnv } from '../deps.ts';
import { MAX_JSON_DEPTH } from '../http/middleware.ts';
import { silentLogger } from '../ports.ts';
import { startHarness, type Harness } from '../test-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());
beforeEach(async () => {
  for (const kind of ['generate', 'judge', 'train', 'events'] as const) await h.queues[kind].purge();
});

const PROMPTS = ['a', 'b', 'c', 'd', 'e', 'f'];

async function create(body: unknown = { prompts: PROMPTS, num_iterations: 2, prompts_per_shard: 2 }, tenant: 'acme' | 'globex' = 'acme') {
  const res = await h.call('POST', '/v1/runs', { body, tenant });
  expect(res.status).toBe(201);
  return runCreatedSchema.parse(await res.json());
}

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/json');
  const body = errorBodySchema.parse(await res.json());
  expect(body.error.code).toBe(code);
  return body.error;
}

describe('auth', () => {
  it('rejects a missing, malformed or unknown key with 401 and WWW-Authenticate', async () => {
    for (const headers of [{}, { authorization: 'Basic abc' }, { authorization: 'Bearer' }, { authorization: 'Bearer nope' }] as Record<string, string>[]) {
      const res = await h.call('GET', '/v1/runs', { tenant: null, headers });
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="sppo"');
      await expectError(res, 401, 'unauthorized');
    }
  });
  it('answers unknown routes with the error shape', async () => {
    await expectError(await h.call('GET', '/v1/nothing'), 404, 'not_found');
    await expectError(await h.call('GET', '/elsewhere', { tenant: null }), 404, 'not_found');
  });
});

describe('POST /v1/runs', () => {
  it('stores run.json and the pool, publishes run.created and answers 201 with a Location', async () => {
    const res = await h.call('POST', '/v1/runs', { body: { prompts: [...PROMPTS, { prompt_id: 'mine', prompt: 'g' }], num_iterations: 2, prompts_per_shard: 2 } });
    expect(res.status).toBe(201);
    const created = runCreatedSchema.parse(await res.json());
    expect(res.headers.get('location')).toBe(`/v1/runs/${created.run_id}`);
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(created).toMatchObject({ status: 'running', num_iterations: 2, prompt_count: 7, shards_per_round: 2 });
    expect(created.run_id).toMatch(/^acme--\d{8}-\d{6}-[0-9a-f]{8}$/);

    const record = (await h.objects.getJson(runConfigKey(created.run_id))) as { tenant: string; config: Record<string, unknown> };
    expect(record.tenant).toBe('acme');
    // prompts_per_iteration 0 resolved to floor(7 / 2) = 3, so shards per round = ceil(3 / 2) = 2
    expect(record.config).toMatchObject({ prompts: { key: promptsKey(created.run_id) }, prompts_per_iteration: 3, beta: 0.001 });
    const pool = await h.objects.readJsonl(promptsKey(created.run_id));
    expect(pool.rows).toEqual([...PROMPTS.map((prompt, i) => ({ prompt_id: `p${i}`, prompt })), { prompt_id: 'mine', prompt: 'g' }]);
    expect(await h.drain('events')).toEqual([{ type: 'run.created', run_id: created.run_id }]);
  });

  it('lists EVERY invalid field with its valid values (400)', async () => {
    const res = await h.call('POST', '/v1/runs', { body: { loss_type: 'nope', learning_rat: 1, samples_per_prompt: 1, top_p: 'x' } });
    const error = await expectError(res, 400, 'invalid_config');
    const issues = (error.details as { issues: { path: string; valid_values?: string[] }[] }).issues;
    expect(issues.map((i) => i.path).sort()).toEqual(['learning_rat', 'loss_type', 'samples_per_prompt', 'top_p']);
    expect(issues.find((i) => i.path === 'loss_type')?.valid_values).toEqual(expect.arrayContaining(['sppo', 'sigmoid', 'ipo']));
    expect(issues.find((i) => i.path === 'learning_rat')?.valid_values).toContain('learning_rate');
    expect(await h.drain('events')).toEqual([]);
  });

  it('refuses malformed JSON (400), other content types (415) and oversized bodies (413)', async () => {
    await expectError(await h.call('POST', '/v1/runs', { body: '{"prompts": [' }), 400, 'invalid_json');
    await expectError(await h.call('POST', '/v1/runs', { body: '{}', headers: { 'content-type': 'text/plain' } }), 415, 'unsupported_media_type');
    const huge = { prompts: Array.from({ length: 2000 }, (_, i) => `${'x'.repeat(600)} ${i}`) };
    await expectError(await h.call('POST', '/v1/runs', { body: huge }), 413, 'payload_too_large');
  });

  it("reads { key } prompts from the tenant's area only, reporting every bad line", async () => {
    await h.objects.put('tenants/acme/data/prompts.jsonl', '{"prompt":"one"}\n{"prompt_id":"x","prompt":"two"}\n');
    const created = await create({ prompts: { key: 'data/prompts.jsonl' }, num_iterations: 1 });
    expect(created.prompt_count).toBe(2);
    expect((await h.objects.readJsonl(promptsKey(created.run_id))).rows).toEqual([{ prompt_id: 'p0', prompt: 'one' }, { prompt_id: 'x', prompt: 'two' }]);

    // globex cannot reach acme's file: its key resolves under tenants/globex/
    const missing = await expectError(await h.call('POST', '/v1/runs', { tenant: 'globex', body: { prompts: { key: 'data/prompts.jsonl' } } }), 400, 'invalid_request');
    expect(missing.message).toMatch(/no object "data\/prompts.jsonl" in your tenant area/);
    await expectError(await h.call('POST', '/v1/runs', { body: { prompts: { key: '../globex/p.jsonl' } } }), 400, 'invalid_config');
    await expectError(await h.call('POST', '/v1/runs', { body: { prompts: { key: 'a/.hidden/p.jsonl' } } }), 400, 'invalid_request');

    await h.objects.put('tenants/acme/bad.jsonl', '{"prompt":"ok"}\nnot json\n{"nope":1}\n');
    const bad = await expectError(await h.call('POST', '/v1/runs', { body: { prompts: { key: 'bad.jsonl' } } }), 400, 'invalid_request');
    const paths = (bad.details as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['line 2', expect.stringMatching(/^line 3/)]));
  });

  it('copies a base model found in the bucket to checkpoints/0 (_COMPLETE last), else treats it as a local folder', async () => {
    await h.objects.put('models/tiny/config.json', '{"model_type":"llama"}');
    await h.objects.put('models/tiny/model.safetensors', 'weights');
    const copied = await create({ model_name_or_path: 'models/tiny', num_iterations: 1 });
    expect(await h.objects.getText(`runs/${copied.run_id}/checkpoints/0/config.json`)).toBe('{"model_type":"llama"}');
    // A plain HF folder (no _COMPLETE of its own): cloud's upload manifest, sizes from the listing.
    expect(await h.objects.getText(checkpointCompleteKey(copied.run_id, 0))).toBe('{"files":[{"path":"config.json","size":22},{"path":"model.safetensors","size":7}]}\n');
    expect(parseCompleteMarker((await h.objects.getText(checkpointCompleteKey(copied.run_id, 0))) ?? '', 'k').kind).toBe('upload');
    await handleEvent({ type: 'run.created', run_id: copied.run_id }, h.automation);
    expect(await h.objects.getJson(manifestKey(copied.run_id, 0))).toMatchObject({ checkpoint_key: `runs/${copied.run_id}/checkpoints/0/` });

    const local = await create({ model_name_or_path: '/opt/models/tiny', num_iterations: 1 });
    expect(await h.objects.exists(checkpointCompleteKey(local.run_id, 0))).toBe(false);
    await handleEvent({ type: 'run.created', run_id: local.run_id }, h.automation);
    expect(await h.objects.getJson(manifestKey(local.run_id, 0))).toMatchObject({ checkpoint_key: '/opt/models/tiny' });

    // a checkpoint of one's own run may be the base; another tenant's may not
    await create({ model_name_or_path: `runs/${copied.run_id}/checkpoints/0`, num_iterations: 1 });
    const foreign = await expectError(await h.call('POST', '/v1/runs', { tenant: 'globex', body: { model_name_or_path: `runs/${copied.run_id}/checkpoints/0` } }), 400, 'invalid_config');
    expect(foreign.message).toMatch(/model_name_or_path/);
    await expectError(await h.call('POST', '/v1/runs', { tenant: 'globex', body: { model_name_or_path: 'tenants/acme/m' } }), 400, 'invalid_config');
  });

  it("copies a source's own _COMPLETE verbatim, after checking it against the listing", async () => {
    const record = `${JSON.stringify({ format: 'sppo-checkpoint/1', files: { 'config.json': { bytes: 2, sha256: 'a'.repeat(64) } } }, null, 2)}\n`;
    await h.objects.put('models/rec/config.json', '{}');
    await h.objects.put('models/rec/_COMPLETE', record);
    const copied = await create({ model_name_or_path: 'models/rec', num_iterations: 1 });
    expect(await h.objects.getText(checkpointCompleteKey(copied.run_id, 0))).toBe(record);
    await h.drain('events');

    // A source whose marker does not match its files, or is not a marker at all: 400, nothing written.
    await h.objects.put('models/torn/config.json', '{"longer": true}');
    await h.objects.put('models/torn/_COMPLETE', record);
    await h.objects.put('models/odd/config.json', '{}');
    await h.objects.put('models/odd/_COMPLETE', JSON.stringify({ source: 'x', files: ['config.json'] }));
    const before = (await h.objects.list('runs/')).length;
    const torn = await expectError(await h.call('POST', '/v1/runs', { body: { model_name_or_path: 'models/torn' } }), 400, 'invalid_config');
    expect(torn.message).toMatch(/does not match its _COMPLETE[\s\S]*config.json has 16 bytes but _COMPLETE records 2/);
    const odd = await expectError(await h.call('POST', '/v1/runs', { body: { model_name_or_path: 'models/odd' } }), 400, 'invalid_config');
    expect(odd.message).toMatch(/unreadable _COMPLETE/);
    expect((await h.objects.list('runs/')).length).toBe(before);
    expect(await h.drain('events')).toEqual([]);
  });

  it("refuses another tenant's model path before writing anything (no orphan prompt pool)", async () => {
    const own = await create({ prompts: ['a'], num_iterations: 1 });
    const before = (await h.objects.list('runs/')).map((o) => o.key);
    for (const model_name_or_path of [`runs/${own.run_id}/checkpoints/0`, 'tenants/acme/m', 'models/nested']) {
      if (model_name_or_path === 'models/nested') await h.objects.put('models/nested/sub/config.json', '{}');
      await expectError(await h.call('POST', '/v1/runs', { tenant: 'globex', body: { prompts: ['x', 'y'], model_name_or_path } }), 400, 'invalid_config');
    }
    expect((await h.objects.list('runs/')).map((o) => o.key)).toEqual(before);
  });

  it('answers a body nested deeper than MAX_JSON_DEPTH with 400, and many unknown keys with a small answer', async () => {
    const deep = `{"prompts":${'['.repeat(5000)}"x"${']'.repeat(5000)}}`;
    const error = await expectError(await h.call('POST', '/v1/runs', { body: deep }), 400, 'invalid_json');
    expect(error.message).toContain(`more than ${MAX_JSON_DEPTH} levels`);
    // Within the limit, the config is validated as usual.
    const nested = `{"prompts":${'['.repeat(40)}"x"${']'.repeat(40)}}`;
    await expectError(await h.call('POST', '/v1/runs', { body: nested }), 400, 'invalid_config');

    const unknown = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`field_${i}`, i]));
    const res = await h.call('POST', '/v1/runs', { body: unknown });
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text.length).toBeLessThan(16 * 1024);
    const issues = (JSON.parse(text) as { error: { details: { issues: { path: string; message: string; valid_values?: string[] }[] } } }).error.details.issues;
    expect(issues).toHaveLength(MAX_REPORTED_ISSUES + 1);
    expect(issues.filter((i) => i.valid_values !== undefined)).toHaveLength(1);
    expect(issues.at(-1)?.message).toMatch(/^and 450 more problems/);
  });

  it('rejects duplicate prompt ids', async () => {
    const error = await expectError(await h.call('POST', '/v1/runs', { body: { prompts: [{ prompt_id: 'a', prompt: 'x' }, { prompt_id: 'a', prompt: 'y' }] } }), 400, 'invalid_request');
    expect(error.message).toMatch(/duplicate prompt_id "a"/);
  });

  it('marks the run failed and answers 503 when the events queue is unreachable', async () => {
    const deps = depsFromEnv({ ...h.env, SPPO_QUEUE_URL_EVENTS: `${h.cloud.emulator.endpoint}/000000000000/no-such-queue` }, { logger: silentLogger, aws: { retries: 0 } });
    const app = createApp({ resolveDeps: () => deps, logger: silentLogger });
    const res = await app.request('/v1/runs', { method: 'POST', headers: { authorization: 'Bearer key-acme-0123456789', 'content-type': 'application/json' }, body: '{}' });
    const error = await expectError(res, 503, 'unavailable');
    const runId = /run (\S+) was stored/.exec(error.message)?.[1] ?? '';
    expect(((await h.objects.getJson(runStatusKey(runId))) as { status: string }).status).toBe('failed');
  });
});

describe('reading runs', () => {
  it('lists only the tenant\'s runs, oldest first, in pages', async () => {
    const mine = [await create(), await create()];
    const theirs = await create(undefined, 'globex');
    const all = runListSchema.parse(await (await h.call('GET', '/v1/runs?limit=100')).json());
    const ids = all.runs.map((r) => r.run_id);
    expect(ids).toEqual(expect.arrayContaining(mine.map((r) => r.run_id)));
    expect(ids).not.toContain(theirs.run_id);
    expect(ids.every((id) => id.startsWith('acme--'))).toBe(true);
    expect([...ids].sort()).toEqual(ids);

    const first = runListSchema.parse(await (await h.call('GET', '/v1/runs?limit=1')).json());
    expect(first.runs).toHaveLength(1);
    expect(first.next_cursor).toBeDefined();
    const second = runListSchema.parse(await (await h.call('GET', `/v1/runs?limit=1&cursor=${encodeURIComponent(first.next_cursor ?? '')}`)).json());
    expect(second.runs[0]?.run_id).not.toBe(first.runs[0]?.run_id);

    for (const query of ['limit=0', 'limit=101', 'limit=x', 'cursor=%00', 'other=1']) {
      await expectError(await h.call('GET', `/v1/runs?${query}`), 400, 'invalid_request');
    }
  });

  it('shows state, round progress, metrics and failures', async () => {
    const { run_id } = await create();
    let view = runViewSchema.parse(await (await h.call('GET', `/v1/runs/${run_id}`)).json());
    expect(view).toMatchObject({ status: 'running', current_round: 0, stage: 'waiting', num_iterations: 2, shards_per_round: 2, failures: [] });

    await handleEvent({ type: 'run.created', run_id }, h.automation);
    await h.objects.put(`runs/${run_id}/round=0/generations/shard=0.jsonl`, '{}\n');
    await h.objects.putJson(`runs/${run_id}/round=0/metrics.json`, { run_id, round: 0, judge: { 'judge/chosen_probs': 0.8 } });
    await handleEvent({ type: 'unit.failed', run_id, round: 0, stage: 'generate', shard: 1, reason: 'CUDA out of memory' }, h.automation);
    view = runViewSchema.parse(await (await h.call('GET', `/v1/runs/${run_id}`)).json());
    expect(view).toMatchObject({ status: 'failed', current_round: 0, stage: 'generating', progress: { shards: 2, generated: 1, judged: 0 } });
    expect(view.status_reason).toMatch(/generate of round 0 shard 1 failed: CUDA out of memory/);
    expect(view.rounds[0]?.metrics).toEqual({ judge: { 'judge/chosen_probs': 0.8 } });
    expect(view.failures).toEqual([expect.objectContaining({ stage: 'generate', round: 0, shard: 1, reason: 'CUDA out of memory' })]);
  });

  it("fills a round's judge metrics from the judge's per-shard objects until the trainer writes them", async () => {
    const { run_id } = await create();
    await handleEvent({ type: 'run.created', run_id }, h.automation);
    await h.objects.putJson(judgeMetricsKey(run_id, 0, 0), { judge: { 'judge/prompts': 2, 'judge/comparisons': 40, 'judge/chosen_probs': 0.9 } });
    await h.objects.putJson(judgeMetricsKey(run_id, 0, 1), { judge: { 'judge/prompts': 1, 'judge/comparisons': 20, 'judge/chosen_probs': 0.6 } });
    const view = runViewSchema.parse(await (await h.call('GET', `/v1/runs/${run_id}`)).json());
    expect(view.rounds[0]?.metrics?.judge?.['judge/prompts']).toBe(3);
    expect(view.rounds[0]?.metrics?.judge?.['judge/comparisons']).toBe(60);
    expect(view.rounds[0]?.metrics?.judge?.['judge/chosen_probs']).toBeCloseTo(0.8, 12);
    const round = roundViewSchema.parse(await (await h.call('GET', `/v1/runs/${run_id}/rounds/0`)).json());
    expect(round.metrics?.judge?.['judge/prompts']).toBe(3);
  });

  it('shows a round: manifest, metrics and links', async () => {
    const { run_id } = await create();
    let round = roundViewSchema.parse(await (await h.call('GET', `/v1/runs/${run_id}/rounds/0`)).json());
    expect(round).toMatchObject({ phase: 'waiting', manifest: null, metrics: null });
    await handleEvent({ type: 'run.created', run_id }, h.automation);
    await h.objects.put(`runs/${run_id}/round=0/generations/shard=1.jsonl`, '{}\n');
    round = roundViewSchema.parse(await (await h.call('GET', `/v1/runs/${run_id}/rounds/0`)).json());
    expect(round.manifest?.shards.map((s) => s.prompt_ids)).toEqual([['p0', 'p1'], ['p2']]);
    expect(round.links.generations).toEqual([
      { shard: 0, key: `runs/${run_id}/round=0/generations/shard=0.jsonl`, exists: false },
      { shard: 1, key: `runs/${run_id}/round=0/generations/shard=1.jsonl`, exists: true },
    ]);
    expect(round.links.checkpoint).toEqual({ prefix: `runs/${run_id}/checkpoints/1/`, complete_key: checkpointCompleteKey(run_id, 1), complete: false });
    expect(round.links.manifest).toBe(manifestKey(run_id, 0));

    await expectError(await h.call('GET', `/v1/runs/${run_id}/rounds/2`), 404, 'not_found');
    for (const bad of ['x', '-1', '01', '99999']) await expectError(await h.call('GET', `/v1/runs/${run_id}/rounds/${bad}`), 400, 'invalid_request');
  });

  it("hides other tenants' runs (404) and validates ids (400)", async () => {
    const { run_id } = await create(undefined, 'globex');
    for (const path of [`/v1/runs/${run_id}`, `/v1/runs/${run_id}/rounds/0`]) await expectError(await h.call('GET', path), 404, 'not_found');
    for (const action of ['cancel', 'resume', 'prompts']) await expectError(await h.call('POST', `/v1/runs/${run_id}/${action}`, { body: { prompts: ['x'] } }), 404, 'not_found');
    await expectError(await h.call('GET', '/v1/runs/acme--20990101-000000-00000000'), 404, 'not_found');
    // a run id of another tenant's shape that claims our prefix but whose run.json says otherwise
    await h.objects.putJson(runConfigKey('acme--forged'), { run_id: 'acme--forged', tenant: 'globex', created_at: new Date().toISOString(), config: (await h.objects.getJson(runConfigKey(run_id)) as { config: unknown }).config });
    await expectError(await h.call('GET', '/v1/runs/acme--forged'), 404, 'not_found');
    for (const bad of ['UPPER', '..%2F..%2Fetc', 'a'.repeat(64), 'caf%C3%A9', '-x', 'a_b']) {
      await expectError(await h.call('GET', `/v1/runs/${bad}`), 400, 'invalid_request');
    }
  });

  it('answers 500 without internals when a stored record is corrupt', async () => {
    await h.objects.put(runConfigKey('acme--corrupt'), 'not json');
    const error = await expectError(await h.call('GET', '/v1/runs/acme--corrupt'), 500, 'internal');
    expect(error.message).toMatch(/^internal error; quote request [0-9a-f-]{36}/);
    expect(error.message).not.toContain('runs/');
  });
});

describe('changing runs', () => {
  it('appends prompts for later rounds, rejecting duplicate ids', async () => {
    const { run_id } = await create();
    const res = await h.call('POST', `/v1/runs/${run_id}/prompts`, { body: { prompts: ['g', { prompt_id: 'h', prompt: 'h' }] } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ run_id, added: 2, prompt_count: 8 });
    expect((await h.objects.readJsonl(promptsKey(run_id))).rows.slice(-2)).toEqual([{ prompt_id: 'p6', prompt: 'g' }, { prompt_id: 'h', prompt: 'h' }]);
    const dup = await expectError(await h.call('POST', `/v1/runs/${run_id}/prompts`, { body: { prompts: ['i', { prompt_id: 'p0', prompt: 'again' }] } }), 400, 'invalid_request');
    expect((dup.details as { issues: { path: string }[] }).issues[0]?.path).toBe('prompts[1].prompt_id');
    await expectError(await h.call('POST', `/v1/runs/${run_id}/prompts`, { body: { prompt: ['x'] } }), 400, 'invalid_request');
    await expectError(await h.call('POST', `/v1/runs/${run_id}/prompts`, { body: { prompts: [] } }), 400, 'invalid_request');
  });

  it('cancels at once, resumes through the events queue, and refuses what makes no sense (409)', async () => {
    const { run_id } = await create();
    await h.drain('events');
    await expectError(await h.call('POST', `/v1/runs/${run_id}/resume`), 409, 'conflict');

    let res = await h.call('POST', `/v1/runs/${run_id}/cancel`, { body: { reason: 'wrong beta' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ run_id, status: 'cancelled' });
    expect(await h.objects.getJson(runStatusKey(run_id))).toMatchObject({ status: 'cancelled', reason: 'wrong beta' });
    res = await h.call('POST', `/v1/runs/${run_id}/cancel`);
    expect(await res.json()).toMatchObject({ status: 'cancelled', message: 'the run was already cancelled' });
    await expectError(await h.call('POST', `/v1/runs/${run_id}/cancel`, { body: { why: 1 } }), 400, 'invalid_request');

    res = await h.call('POST', `/v1/runs/${run_id}/resume`);
    expect(res.status).toBe(202);
    expect(await h.drain('events')).toEqual([{ type: 'run.resumed', run_id }]);

    await h.objects.putJson(runStatusKey(run_id), { run_id, status: 'completed', updated_at: new Date().toISOString() });
    await expectError(await h.call('POST', `/v1/runs/${run_id}/cancel`), 409, 'conflict');
    await expectError(await h.call('POST', `/v1/runs/${run_id}/resume`), 409, 'conflict');
    await expectError(await h.call('POST', `/v1/runs/${run_id}/prompts`, { body: { prompts: ['x'] } }), 409, 'conflict');
  });

  it('keeps failure records visible after a failed run is resumed', async () => {
    const { run_id } = await create();
    await handleEvent({ type: 'run.created', run_id }, h.automation);
    await handleEvent({ type: 'unit.failed', run_id, round: 0, stage: 'judge', shard: 0, reason: 'judge crashed' }, h.automation);
    expect(await h.objects.exists(failureKey(run_id, 'judge', 0, 0))).toBe(true);
    await expectError(await h.call('POST', `/v1/runs/${run_id}/cancel`), 409, 'conflict');
    expect((await h.call('POST', `/v1/runs/${run_id}/resume`)).status).toBe(202);
    const view = runViewSchema.parse(await (await h.call('GET', `/v1/runs/${run_id}`)).json());
    expect(view.failures).toHaveLength(1);
  });
});
