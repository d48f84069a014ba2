/**
 * API load (issue 18): the Node gateway (services/gateway/src/node.ts, its own process, over HTTP
 * on 127.0.0.1) against the emulator (its own process), driven by an open-loop generator at rising
 * rates for a fixed time each: GET /v1/runs/{id}, GET /v1/runs (a page of 20 runs) and
 * POST /v1/runs. Per step: offered and achieved requests/s, p50/p99 latency, errors, 5xx, requests
 * shed by the client's in-flight cap. The knee of each endpoint is the highest rate up to which
 * every step kept up (lib/load-gen.ts findKnee); below it there must be no 5xx. Each endpoint stops
 * one step after its knee, so the suite stays bounded.
 *
 * The gateway runs with the running-runs limit off and a request rate limit far above the offered
 * rates (the bucket still runs on every request): this measures the API, not the limits, which
 * concurrent-runs.test.ts shows answering 429. No workers: created runs wait in the events queue.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { findKnee, runStep, type StepResult } from './lib/load-gen.ts';
import { reportLoad } from './lib/report.ts';
import { loadScale } from './lib/scale.ts';
import { startLoadStack, type LoadStack } from './lib/stack.ts';

const { name: scale, size } = loadScale();
const TENANT = 'bench';
let stack: LoadStack;
const runIds: string[] = [];

const newRun = (i: number) => ({ model_name_or_path: '/opt/sppo/models/none', prompts: [`Load prompt ${i}a`, `Load prompt ${i}b`, `Load prompt ${i}c`, `Load prompt ${i}d`], num_iterations: 2 });

beforeAll(async () => {
  stack = await startLoadStack({
    tenants: [TENANT],
    workers: [],
    gatewayEnv: { SPPO_LIMIT_RUNNING_RUNS: '0', SPPO_LIMIT_REQUESTS_PER_MINUTE: '10000000', SPPO_LIMIT_REQUEST_BURST: '10000000' },
  });
  for (let i = 0; i < 20; i++) {
    const res = await stack.call(TENANT, 'POST', '/v1/runs', newRun(i));
    if (res.status !== 201) throw new Error(`seeding run ${i}: ${res.status} ${JSON.stringify(res.body)}`);
    runIds.push(String(res.body.run_id));
  }
});

afterAll(async () => {
  await stack?.stop();
});

test(`rising rates against GET /v1/runs/{id}, GET /v1/runs and POST /v1/runs (${scale}): a knee for each, no 5xx below it`, async () => {
  const headers = { authorization: `Bearer ${stack.apiKeys[TENANT]}` };
  const endpoints = {
    get_run: (i: number) => ({ url: `${stack.gatewayUrl}/v1/runs/${runIds[i % runIds.length]}`, init: { headers } }),
    list_runs: () => ({ url: `${stack.gatewayUrl}/v1/runs?limit=20`, init: { headers } }),
    create_run: (i: number) => ({
      url: `${stack.gatewayUrl}/v1/runs`,
      init: { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(newRun(1000 + i)) },
    }),
  };
  const results: Record<string, StepResult[]> = {};
  const knees: Record<string, number | null> = {};
  for (const [name, request] of Object.entries(endpoints)) {
    // A few requests first, so the first step does not pay for connection set-up.
    for (let i = 0; i < 5; i++) await (await fetch(request(i).url, request(i).init)).arrayBuffer();
    const steps: StepResult[] = [];
    for (const rate of size.apiRates) {
      const step = await runStep({ request, rate, seconds: size.apiStepSeconds, maxInFlight: 64 });
      steps.push(step);
      const { keptUp } = findKnee(steps);
      reportLoad(`api/${name}`, {
        offered_rps: step.offered_rps,
        achieved_rps: step.achieved_rps,
        p50_ms: step.p50_ms,
        p99_ms: step.p99_ms,
        max_ms: step.max_ms,
        sent: step.sent,
        errors: step.errors,
        status_5xx: step.status_5xx,
        failed: step.failed,
        shed: step.shed,
        kept_up: keptUp.at(-1) ? 1 : 0,
      });
      if (!keptUp.at(-1)) break; // one step past the knee shows the overload; more only costs time
    }
    results[name] = steps;
    knees[name] = findKnee(steps).knee;
  }

  const below5xx = Object.entries(results).reduce((n, [name, steps]) => n + steps.filter((s) => knees[name] !== null && s.offered_rps <= (knees[name] as number)).reduce((m, s) => m + s.status_5xx, 0), 0);
  reportLoad(
    'api',
    {
      scale,
      step_s: size.apiStepSeconds,
      knee_get_run_rps: knees.get_run ?? null,
      knee_list_runs_rps: knees.list_runs ?? null,
      knee_create_run_rps: knees.create_run ?? null,
      status_5xx_below_knee: below5xx,
      status_5xx_above_knee: Object.entries(results).reduce((n, [name, steps]) => n + steps.filter((s) => knees[name] === null || s.offered_rps > (knees[name] as number)).reduce((m, s) => m + s.status_5xx, 0), 0),
    },
    results,
  );

  // Behaviour, not speed: every endpoint keeps up at the lowest rate, and answers no 5xx below its knee.
  for (const [name, steps] of Object.entries(results)) {
    expect(knees[name], `${name}: ${JSON.stringify(steps[0])}`).not.toBeNull();
    expect(steps[0]?.errors, name).toBe(0);
  }
  expect(below5xx).toBe(0);
  // Every 201 stored a run and published its run.created (nothing consumes them here).
  const created = (results.create_run ?? []).reduce((n, s) => n + (s.statuses['201'] ?? 0), 0) + 20 + 5;
  const events = await stack.queues.events.depth();
  expect(events.total).toBe(created);
});
