// Per-tenant limits (issue 18): the settings, the token bucket, and each limit through
// app.request() against the real emulator: 429 in the error shape, the code and message naming the
// limit, Retry-After where waiting helps, nothing written for a refused request, other tenants
// unaffected.
import { runStatusKey } from '@sppo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorBodySchema, runCreatedSchema } from '../api/schemas.ts';
import { buildOpenApiDocument } from '../api/openapi.ts';
import { createApp } from '../app.ts';
import { GatewayConfigError, gatewayConfigFromEnv } from '../config.ts';
import { depsFromEnv } from '../deps.ts';
import { silentLogger } from '../ports.ts';
import { hashApiKey } from '../tenants.ts';
import { startHarness, type Harness } from '../test-harness.ts';
import { DEFAULT_LIMITS, limitSettingsFromEnv } from './limit-settings.ts';
import { createRunAdmission, createTokenBucketLimiter, RUNNING_RUNS_RETRY_AFTER_SECONDS } from './limits.ts';

describe('limit settings', () => {
  it('defaults, accepts strings and Worker JSON numbers, 0 switches a limit off', () => {
    expect(limitSettingsFromEnv({}, [])).toEqual(DEFAULT_LIMITS);
    const problems: string[] = [];
    expect(limitSettingsFromEnv({ SPPO_LIMIT_RUNNING_RUNS: ' 4 ', SPPO_LIMIT_PROMPTS_PER_RUN: 0, SPPO_LIMIT_REQUESTS_PER_MINUTE: '120', SPPO_LIMIT_REQUEST_BURST: 5 }, problems)).toEqual({
      runningRunsPerTenant: 4,
      promptsPerRun: 0,
      requestsPerMinute: 120,
      requestBurst: 5,
    });
    expect(problems).toEqual([]);
  });

  it('reports every bad limit with its valid values, alongside the other settings', () => {
    let error: unknown;
    try {
      gatewayConfigFromEnv({ SPPO_AWS_ENDPOINT: 'http://127.0.0.1:1', SPPO_API_KEYS: JSON.stringify([{ tenant: 'a', key_sha256: 'a'.repeat(64) }]), SPPO_BUCKET: 'b-ok', SPPO_LIMIT_RUNNING_RUNS: '-1', SPPO_LIMIT_REQUESTS_PER_MINUTE: '1.5', SPPO_LIMIT_REQUEST_BURST: '0' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(GatewayConfigError);
    const problems = (error as GatewayConfigError).problems;
    expect(problems.map((p) => p.split(' ')[0])).toEqual(['SPPO_LIMIT_RUNNING_RUNS', 'SPPO_LIMIT_REQUESTS_PER_MINUTE', 'SPPO_LIMIT_REQUEST_BURST']);
    expect(problems[0]).toMatch(/an integer from 0 to \d+, 0 = no limit \(default 10\)/);
    expect(problems[2]).toMatch(/from 1 to/);
  });
});

describe('token bucket', () => {
  it('lets a burst through, then one request per 1/rate, answering when the next token is back', () => {
    let t = 0;
    const limiter = createTokenBucketLimiter({ perMinute: 60, burst: 3, now: () => t });
    const allowed = () => (limiter.take('k') as { allowed: boolean }).allowed;
    expect([allowed(), allowed(), allowed()]).toEqual([true, true, true]);
    expect(limiter.take('k')).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 1 });
    expect(allowed()).toBe(false); // still empty
    expect(limiter.take('other')).toMatchObject({ allowed: true, remaining: 2 }); // keys are independent
    t += 1_000;
    expect(allowed()).toBe(true);
    expect(allowed()).toBe(false);
    t += 60_000; // refills to the burst, not beyond
    expect([allowed(), allowed(), allowed(), allowed()]).toEqual([true, true, true, false]);
  });

  it('at a slow rate asks to wait as long as a token takes', () => {
    let t = 0;
    const limiter = createTokenBucketLimiter({ perMinute: 2, burst: 1, now: () => t });
    limiter.take('k');
    expect(limiter.take('k')).toMatchObject({ allowed: false, retryAfterSeconds: 30 });
    t += 20_000;
    expect(limiter.take('k')).toMatchObject({ allowed: false, retryAfterSeconds: 10 });
  });

  it('keeps memory bounded: full buckets are swept when there are too many keys', () => {
    let t = 0;
    const limiter = createTokenBucketLimiter({ perMinute: 60, burst: 1, now: () => t, maxKeys: 10 });
    for (let i = 0; i < 10; i++) limiter.take(`k${i}`);
    t += 5_000; // every bucket full again
    for (let i = 10; i < 1_000; i++) expect(limiter.take(`k${i}`)).toMatchObject({ allowed: true });
  });
});

describe('run admission', () => {
  it('counts creations in flight in this process, so concurrent requests cannot pass on the same count', async () => {
    const admission = createRunAdmission(2);
    let stored = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        admission.admit('t', async () => stored, async () => {
          await new Promise((r) => setTimeout(r, 20));
          stored += 1;
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
    expect(stored).toBe(2);
    // slots are given back: a tenant below its limit is admitted again
    stored = 1;
    await expect(admission.admit('t', async () => stored, async () => 'ok')).resolves.toBe('ok');
  });
});

describe('through the app', () => {
  let h: Harness;
  const KEYS = { rate: 'key-limits-rate-0001', calm: 'key-limits-calm-0001', runs: 'key-limits-runs-0001', other: 'key-limits-other-001', big: 'key-limits-big-00001' } as const;
  const TENANT = { rate: 'rate', calm: 'calm', runs: 'runs', other: 'other', big: 'big' } as const;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    h = await startHarness();
    const keys = await Promise.all(Object.entries(KEYS).map(async ([name, key]) => ({ tenant: TENANT[name as keyof typeof KEYS], key_sha256: await hashApiKey(key) })));
    const env = {
      ...h.env,
      SPPO_API_KEYS: JSON.stringify(keys),
      SPPO_LIMIT_RUNNING_RUNS: '2',
      SPPO_LIMIT_PROMPTS_PER_RUN: '5',
      SPPO_LIMIT_REQUESTS_PER_MINUTE: '60',
      SPPO_LIMIT_REQUEST_BURST: '20',
    };
    const deps = depsFromEnv(env, { logger: silentLogger });
    app = createApp({ resolveDeps: () => deps, logger: silentLogger });
  });
  afterAll(() => h?.stop());

  const call = async (who: keyof typeof KEYS | null, method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { ...(who === null ? { authorization: 'Bearer nope' } : { authorization: `Bearer ${KEYS[who]}` }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { res, body: (await res.json()) as Record<string, unknown> };
  };
  const limited = (r: { res: Response; body: Record<string, unknown> }, code: string) => {
    expect(r.res.status, JSON.stringify(r.body)).toBe(429);
    const error = errorBodySchema.parse(r.body).error;
    expect(error.code).toBe(code);
    return error;
  };
  const runKeys = async (tenant: string) => (await h.objects.list(`runs/${tenant}--`)).map((o) => o.key).sort();
  const newRun = (prompts = ['a', 'b']) => ({ model_name_or_path: '/opt/models/none', prompts, num_iterations: 1 });

  it('answers 429 rate_limit_exceeded with Retry-After once a key used its burst; other keys and unknown keys are not affected', async () => {
    for (let i = 0; i < 20; i++) expect((await call('rate', 'GET', '/v1/runs')).res.status).toBe(200);
    const r = await call('rate', 'GET', '/v1/runs');
    const error = limited(r, 'rate_limit_exceeded');
    expect(r.res.headers.get('retry-after')).toBe('1');
    expect(error.message).toMatch(/60 requests a minute \(bursts of 20\)/);
    expect(error.details).toEqual({ limit: 'requests_per_minute', allowed: 60, retry_after_seconds: 1 });
    // another key still has its whole burst; an unknown key is refused before it costs a bucket
    expect((await call('calm', 'GET', '/v1/runs')).res.status).toBe(200);
    expect((await call(null, 'GET', '/v1/runs')).res.status).toBe(401);
    // health and the document are not limited
    expect((await app.request('/openapi.json')).status).toBe(200);
  });

  it('answers 429 running_runs_limit_exceeded at the tenant\'s limit, writing nothing; cancelled runs free a slot; resume needs one', async () => {
    const first = runCreatedSchema.parse((await call('runs', 'POST', '/v1/runs', newRun())).body);
    const second = runCreatedSchema.parse((await call('runs', 'POST', '/v1/runs', newRun())).body);
    const before = await runKeys('runs');
    const r = await call('runs', 'POST', '/v1/runs', newRun());
    const error = limited(r, 'running_runs_limit_exceeded');
    expect(r.res.headers.get('retry-after')).toBe(String(RUNNING_RUNS_RETRY_AFTER_SECONDS));
    expect(error.details).toEqual({ limit: 'running_runs_per_tenant', allowed: 2, current: 2, retry_after_seconds: RUNNING_RUNS_RETRY_AFTER_SECONDS });
    expect(error.message).toMatch(/tenant "runs" has 2 running runs and may have 2 at once/);
    expect(await runKeys('runs')).toEqual(before);
    // other tenants are counted on their own
    expect((await call('other', 'POST', '/v1/runs', newRun())).res.status).toBe(201);

    // a cancelled and a completed run do not count
    expect((await call('runs', 'POST', `/v1/runs/${first.run_id}/cancel`)).res.status).toBe(200);
    const third = runCreatedSchema.parse((await call('runs', 'POST', '/v1/runs', newRun())).body);
    await h.objects.put(runStatusKey(second.run_id), JSON.stringify({ run_id: second.run_id, status: 'completed', updated_at: new Date().toISOString() }));
    expect((await call('runs', 'POST', '/v1/runs', newRun())).res.status).toBe(201);
    // now at 2 again (third + the last): resuming the cancelled one would make 3
    limited(await call('runs', 'POST', `/v1/runs/${first.run_id}/resume`), 'running_runs_limit_exceeded');
    expect((await call('runs', 'POST', `/v1/runs/${third.run_id}/cancel`)).res.status).toBe(200);
    expect((await call('runs', 'POST', `/v1/runs/${first.run_id}/resume`)).res.status).toBe(202);
  });

  it('answers 429 prompts_per_run_limit_exceeded without Retry-After (waiting cannot help), at creation and when appending', async () => {
    const r = await call('big', 'POST', '/v1/runs', newRun(['1', '2', '3', '4', '5', '6']));
    const error = limited(r, 'prompts_per_run_limit_exceeded');
    expect(r.res.headers.get('retry-after')).toBeNull();
    expect(error.details).toEqual({ limit: 'prompts_per_run', allowed: 5, current: 6 });
    expect(error.message).toMatch(/at most 5; split the prompts over several runs/);
    expect(await runKeys('big')).toEqual([]);

    const created = runCreatedSchema.parse((await call('big', 'POST', '/v1/runs', newRun(['1', '2', '3', '4']))).body);
    expect((await call('big', 'POST', `/v1/runs/${created.run_id}/prompts`, { prompts: ['5'] })).body).toMatchObject({ prompt_count: 5 });
    const more = limited(await call('big', 'POST', `/v1/runs/${created.run_id}/prompts`, { prompts: ['6', '7'] }), 'prompts_per_run_limit_exceeded');
    expect(more.message).toMatch(/adding 2 prompts would make the pool 7/);
  });

  it('documents the 429s in /openapi.json with Retry-After and the limit error schema', () => {
    const doc = buildOpenApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, { headers?: Record<string, unknown>; content?: unknown }> }>>; components: { schemas: Record<string, unknown> } };
    expect(doc.components.schemas.LimitError).toBeDefined();
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const tooMany = op.responses['429'];
        expect(tooMany, `${method} ${path}`).toBeDefined();
        expect(tooMany?.headers?.['Retry-After'], `${method} ${path}`).toBeDefined();
      }
    }
    expect(JSON.stringify(doc.paths['/v1/runs']?.post?.responses['429'])).toMatch(/running_runs_limit_exceeded/);
  });
});
