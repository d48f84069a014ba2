// The gateway inside workerd (wrangler's unstable_dev, fully offline) against the local emulator:
// the Workers entry reads its settings from bindings and reaches S3 and SQS through aws4fetch.
import { createObjectStore, createQueue, startTestCloud, type TestCloud } from '@sppo/cloud';
import { runConfigKey } from '@sppo/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { envFor, TENANTS } from '../src/test-harness.ts';

// No telemetry and no Request.cf lookup over the network (ENVIRONMENT.md, "Workers").
process.env.WRANGLER_SEND_METRICS = 'false';
process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';

const WORKER_START_TIMEOUT_MS = 60_000;

let cloud: TestCloud;
let worker: { fetch: (input?: string, init?: RequestInit) => Promise<Response>; stop: () => Promise<void> };

beforeAll(async () => {
  cloud = await startTestCloud();
  const { unstable_dev } = await import('wrangler');
  worker = await unstable_dev(fileURLToPath(new URL('../src/worker.ts', import.meta.url)), {
    vars: await envFor(cloud),
    compatibilityDate: '2026-08-01',
    compatibilityFlags: ['nodejs_compat'],
    ip: '127.0.0.1',
    local: true,
    logLevel: 'error',
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true },
  });
}, WORKER_START_TIMEOUT_MS);

afterAll(async () => {
  await worker?.stop();
  await cloud?.stop();
});

it('is ready and creates a run inside workerd', async () => {
  const ready = await worker.fetch('/health/ready');
  expect(ready.status).toBe(200);

  const res = await worker.fetch('/v1/runs', {
    method: 'POST',
    headers: { authorization: `Bearer ${TENANTS.acme}`, 'content-type': 'application/json' },
    body: JSON.stringify({ prompts: ['a', 'b'], num_iterations: 1 }),
  });
  expect(res.status).toBe(201);
  const { run_id } = (await res.json()) as { run_id: string };
  expect(await createObjectStore(cloud.config).getJson(runConfigKey(run_id))).toMatchObject({ run_id, tenant: 'acme' });
  const [event] = await createQueue(cloud.config, 'events').receive({ waitTimeSeconds: 1 });
  expect(JSON.parse(event?.body ?? '{}')).toEqual({ type: 'run.created', run_id });

  const view = await worker.fetch(`/v1/runs/${run_id}`, { headers: { authorization: `Bearer ${TENANTS.acme}` } });
  expect(view.status).toBe(200);
  expect(await view.json()).toMatchObject({ run_id, status: 'running', stage: 'waiting' });
  const invalid = await worker.fetch('/v1/runs', { method: 'POST', headers: { authorization: `Bearer ${TENANTS.acme}`, 'content-type': 'application/json' }, body: '{"beta":-1}' });
  expect(invalid.status).toBe(400);
});

it('serves the dashboard and its script inside workerd (no static-asset binding needed)', async () => {
  const page = await worker.fetch('/runs');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  expect(await page.text()).toContain('data-page="runs"');
  const script = await worker.fetch('/assets/dashboard.js');
  expect(script.status).toBe(200);
  expect(script.headers.get('content-type')).toContain('javascript');
  expect((await script.text()).length).toBeGreaterThan(1000);
  const me = await worker.fetch('/v1/me', { headers: { authorization: `Bearer ${TENANTS.acme}` } });
  expect(await me.json()).toEqual({ tenant: 'acme' });
});
