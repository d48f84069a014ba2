// Health and the OpenAPI document, against the real emulator.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthSchema } from '../api/schemas.ts';
import { createApp } from '../app.ts';
import { depsFromEnv } from '../deps.ts';
import { silentLogger } from '../ports.ts';
import { startHarness, type Harness } from '../test-harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.stop());

function appWithEnv(env: Record<string, string>) {
  // Dependencies resolved from the bindings on each request, as on Workers.
  return createApp({ resolveDeps: (bindings) => depsFromEnv(bindings, { logger: silentLogger, aws: { retries: 0, pingTimeoutMs: 2000 } }), logger: silentLogger }).request('/health/ready', {}, env);
}

describe('GET /health/ready', () => {
  it('passes when the bucket and the four queues answer', async () => {
    const res = await appWithEnv(h.env);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/health+json');
    const body = healthSchema.parse(await res.json());
    expect(body.status).toBe('pass');
    expect(Object.keys(body.checks ?? {}).sort()).toEqual(['s3:bucket', 'sqs:events', 'sqs:generate', 'sqs:judge', 'sqs:train']);
  });

  it('names the failing checks with 503: a missing bucket and a missing queue', async () => {
    const res = await appWithEnv({ ...h.env, SPPO_BUCKET: 'no-such-bucket', SPPO_QUEUE_URL_TRAIN: `${h.cloud.emulator.endpoint}/000000000000/no-such-queue` });
    expect(res.status).toBe(503);
    const body = healthSchema.parse(await res.json());
    expect(body.status).toBe('fail');
    expect(body.checks?.['s3:bucket']?.[0]).toMatchObject({ status: 'fail', output: expect.stringMatching(/HeadBucket failed with HTTP 404/) });
    expect(body.checks?.['sqs:train']?.[0]).toMatchObject({ status: 'fail', output: expect.stringMatching(/GetQueueAttributes/) });
    expect(body.checks?.['sqs:judge']?.[0]?.status).toBe('pass');
  });

  it('fails fast when the endpoint is down', async () => {
    const started = Date.now();
    const res = await appWithEnv({ ...h.env, SPPO_AWS_ENDPOINT: 'http://127.0.0.1:9' });
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports an invalid configuration as the failing "config" check, without secret values', async () => {
    const res = await appWithEnv({ SPPO_API_KEYS: '[{"tenant":"Bad Tenant","key_sha256":"secret-value"}]' });
    expect(res.status).toBe(503);
    const body = healthSchema.parse(await res.json());
    expect(body.checks?.config?.[0]?.status).toBe('fail');
    expect(body.checks?.config?.[0]?.output).toMatch(/SPPO_BUCKET is not set/);
    expect(JSON.stringify(body)).not.toContain('secret-value');
  });
});

describe('a misconfigured gateway', () => {
  it('answers API calls with 500 misconfigured and stays live', async () => {
    const app = createApp({ resolveDeps: (bindings) => depsFromEnv(bindings, { logger: silentLogger }), logger: silentLogger });
    const res = await app.request('/v1/runs', { headers: { authorization: 'Bearer x' } }, {});
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('misconfigured');
    expect((await app.request('/health/live', {}, {})).status).toBe(200);
  });
});

describe('GET /openapi.json', () => {
  it('documents every route, the run config from the core schema and the error shape', async () => {
    const res = await h.app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, { properties?: Record<string, unknown> }> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/health/live',
        '/health/ready',
        '/openapi.json',
        '/v1/me',
        '/v1/runs',
        '/v1/runs/{id}',
        '/v1/runs/{id}/cancel',
        '/v1/runs/{id}/prompts',
        '/v1/runs/{id}/resume',
        '/v1/runs/{id}/rounds/{t}',
        '/v1/runs/{id}/rounds/{t}/samples',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/v1/runs'] ?? {}).sort()).toEqual(['get', 'post']);
    const config = doc.components.schemas.RunConfig?.properties ?? {};
    expect(config).toHaveProperty('loss_type');
    expect(config.loss_type).toMatchObject({ enum: expect.arrayContaining(['sppo', 'sppo_hard', 'ipo']) });
    expect(doc.components.schemas.Error?.properties).toHaveProperty('error');
  });
});
