/**
 * Many concurrent runs, and one tenant flooding (issue 18), against the whole stack as processes
 * (lib/stack.ts: the entries `./sppo up` starts). Tenants acme, globex and initech start
 * `runsPerTenant` runs each at once (tiny model, 2 rounds, 4 prompts a round); the gateway's
 * running-runs limit is that same number, its rate limit 600 requests a minute per key (bursts
 * of 60).
 *
 * initech floods: it submits more runs than its limit at once (the extra ones must get 429
 * running_runs_limit_exceeded), keeps submitting as its runs finish (so it stays at its limit, up
 * to `floodRunsTotal` runs in all), and sends GET /v1/runs far above its rate (429
 * rate_limit_exceeded). acme and globex only poll once a second.
 *
 * The bound (stated here, checked below): with initech held at its limit, at most 3 x runsPerTenant
 * runs share the workers at any time, so each of acme's and globex's runs must complete within
 * BOUND = 1.5 x (3 x runsPerTenant) x T1 + 30 s of its submission, where T1 is one run's time
 * alone on the same stack, measured first in the same test file (the work of every admitted run
 * done one after the other, with 50% and 30 s to spare for a shared machine). Without the limit,
 * initech's extra runs would join the same FIFO queues and the others' runs would wait for them.
 *
 * Then every run is audited row by row (its shards, triplets and checkpoints belong to it alone),
 * the events worker's `event.handled` lines show no stage started twice, the services' unit lines
 * show no unit started twice, and the figures come from the logs, the API and SQS.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fastRunConfig } from '../helpers/runs.ts';
import { uploadTinyModel } from '../helpers/tiny-model.ts';
import { auditOwnedRun, automationLatency, doubleStarts, p, sampleQueueDepths, thin } from './lib/audit.ts';
import { runStep } from './lib/load-gen.ts';
import { reportLoad } from './lib/report.ts';
import { loadScale } from './lib/scale.ts';
import { startLoadStack, type ApiAnswer, type LoadStack } from './lib/stack.ts';

const { name: scale, size } = loadScale();
const VICTIMS = ['acme', 'globex'] as const;
const FLOODER = 'initech';
const SOLO = 'solo';
const RUN_TIMEOUT_MS = 240_000;

let stack: LoadStack;
let model: string;
let t1Seconds = 0;
const soloRuns: string[] = [];
/** run id -> its tag (prompt ids and texts carry it) */
const tags = new Map<string, string>();

function runConfig(tag: string): Record<string, unknown> {
  const n = size.promptsPerRound * size.rounds;
  return {
    ...fastRunConfig({ model, prompts: size.promptsPerRound, promptsPerShard: 2, rounds: size.rounds }),
    prompts: Array.from({ length: n }, (_, i) => ({ prompt_id: `${tag}-q${i}`, prompt: `[${tag}] Question ${i}: name a colour.` })),
  };
}

async function submit(tenant: string, k: number): Promise<ApiAnswer & { tag: string }> {
  const tag = `${tenant}-r${k}`;
  const res = await stack.call(tenant, 'POST', '/v1/runs', runConfig(tag));
  if (res.status === 201) tags.set(String(res.body.run_id), tag);
  return { ...res, tag };
}

interface Listed {
  run_id: string;
  status: string;
  created_at: string;
  status_updated_at?: string;
}

async function listRuns(tenant: string): Promise<ApiAnswer & { runs: Listed[] }> {
  const res = await stack.call(tenant, 'GET', '/v1/runs?limit=100');
  return { ...res, runs: res.status === 200 ? (res.body.runs as Listed[]) : [] };
}

const seconds = (r: Listed) => (Date.parse(r.status_updated_at ?? '') - Date.parse(r.created_at)) / 1000;
const done = (r: Listed) => r.status === 'completed' || r.status === 'failed' || r.status === 'cancelled';

/** Polls `tenant`'s list once a second (honouring Retry-After) until `ids` are all finished. */
async function waitFor(tenant: string, ids: readonly string[], latencies?: number[], limited?: { count: number }): Promise<Listed[]> {
  const deadline = Date.now() + RUN_TIMEOUT_MS;
  for (;;) {
    const res = await listRuns(tenant);
    latencies?.push(res.ms);
    if (res.status === 429 && limited) limited.count += 1;
    const mine = res.runs.filter((r) => ids.includes(r.run_id));
    if (mine.length === ids.length && mine.every(done)) return mine;
    if (Date.now() > deadline) throw new Error(`${tenant}'s runs did not finish within ${RUN_TIMEOUT_MS} ms: ${JSON.stringify(mine)}`);
    const wait = res.status === 429 ? Number(res.headers.get('retry-after') ?? 1) * 1000 : 1_000;
    await new Promise((r) => setTimeout(r, wait));
  }
}

beforeAll(async () => {
  const perTenant = String(size.runsPerTenant);
  stack = await startLoadStack({
    tenants: [...VICTIMS, FLOODER, SOLO],
    gatewayEnv: { SPPO_LIMIT_RUNNING_RUNS: perTenant, SPPO_LIMIT_REQUESTS_PER_MINUTE: '600', SPPO_LIMIT_REQUEST_BURST: '60' },
  });
  model = await uploadTinyModel(stack.objects);
});

afterAll(async () => {
  await stack?.stop();
});

test('one run alone: T1, the baseline of the flood bound', async () => {
  const res = await submit(SOLO, 0);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  soloRuns.push(String(res.body.run_id));
  const [run] = await waitFor(SOLO, soloRuns);
  expect(run?.status).toBe('completed');
  t1Seconds = seconds(run as Listed);
});

test(`${3 * size.runsPerTenant} runs of 3 tenants at once, one tenant flooding (${scale}): every run completes and owns its rows, nothing starts twice, the others finish within the bound`, async () => {
  expect(t1Seconds).toBeGreaterThan(0);
  const R = size.runsPerTenant;
  const bound = 1.5 * 3 * R * t1Seconds + 30;
  const depths = sampleQueueDepths(stack.queues);
  const started = Date.now();

  // Everyone submits at once; initech asks for twice its limit.
  const first = await Promise.all([
    ...VICTIMS.flatMap((tenant) => Array.from({ length: R }, (_, k) => submit(tenant, k))),
    ...Array.from({ length: 2 * R }, (_, k) => submit(FLOODER, k)),
  ]);
  const victimRuns = first.filter((r, i) => i < VICTIMS.length * R).map((r) => String(r.body.run_id));
  expect(first.slice(0, VICTIMS.length * R).map((r) => r.status)).toEqual(Array(VICTIMS.length * R).fill(201));
  const floodFirst = first.slice(VICTIMS.length * R);
  expect(floodFirst.filter((r) => r.status === 201)).toHaveLength(R);
  const refused = floodFirst.filter((r) => r.status === 429);
  expect(refused).toHaveLength(R);
  for (const r of refused) {
    expect((r.body.error as { code: string }).code).toBe('running_runs_limit_exceeded');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
  }
  const floodRuns = floodFirst.filter((r) => r.status === 201).map((r) => String(r.body.run_id));
  const flood = { posts: floodFirst.length, posts_429: refused.length, gets: 0, gets_429: 0, gets_5xx: 0, rate_limit_codes_ok: true };

  // initech keeps flooding until acme's and globex's runs are done.
  let victimsDone = false;
  const flooding = (async () => {
    let k = 2 * R;
    while (!victimsDone && Date.now() - started < RUN_TIMEOUT_MS) {
      const step = await runStep({
        request: () => ({ url: `${stack.gatewayUrl}/v1/runs`, init: { headers: { authorization: `Bearer ${stack.apiKeys[FLOODER]}` } } }),
        rate: size.floodGetRate,
        seconds: 1,
        maxInFlight: 32,
      });
      flood.gets += step.sent;
      flood.gets_429 += step.status_429;
      flood.gets_5xx += step.status_5xx;
      if (floodRuns.length < size.floodRunsTotal) {
        const res = await submit(FLOODER, k++);
        flood.posts += 1;
        if (res.status === 201) floodRuns.push(String(res.body.run_id));
        else if (res.status === 429) {
          flood.posts_429 += 1;
          const code = (res.body.error as { code?: string } | undefined)?.code;
          if (code !== 'running_runs_limit_exceeded' && code !== 'rate_limit_exceeded') flood.rate_limit_codes_ok = false;
        }
      }
    }
  })();

  const victimLatencies: number[] = [];
  const victimLimited = { count: 0 };
  const victimViews = (await Promise.all(VICTIMS.map((tenant) => waitFor(tenant, victimRuns.filter((id) => id.startsWith(`${tenant}--`)), victimLatencies, victimLimited)))).flat();
  victimsDone = true;
  await flooding;
  const floodViews = await waitFor(FLOODER, floodRuns);
  const depthSeries = await depths.stop();

  // Every run completed; acme's and globex's within the bound.
  const all = [...victimViews, ...floodViews];
  expect(all.filter((r) => r.status !== 'completed').map((r) => `${r.run_id} ${r.status}`)).toEqual([]);
  const victimSeconds = victimViews.map(seconds).sort((a, b) => a - b);
  const victimMax = victimSeconds.at(-1) ?? 0;

  // Row by row: each run's shards, triplets and checkpoints are its own.
  let rowsLost = 0;
  let rowsDuplicated = 0;
  let rowsForeign = 0;
  const problems: string[] = [];
  for (const run of all) {
    const audit = await auditOwnedRun(stack.objects, run.run_id, tags.get(run.run_id) as string, size.rounds);
    rowsLost += audit.lost;
    rowsDuplicated += audit.duplicated;
    rowsForeign += audit.foreign;
    problems.push(...audit.problems.map((x) => `${run.run_id}: ${x}`));
  }

  // From the logs: no stage started twice by the events worker, no unit twice by a service.
  const ids = new Set([...all.map((r) => r.run_id), ...soloRuns]);
  const twice = doubleStarts(stack.processes.logs, ids);
  const latency = automationLatency(stack.processes.logs, ids);
  const createdFirst = Math.min(...all.map((r) => Date.parse(r.created_at)));
  const completedLast = Math.max(...all.map((r) => Date.parse(r.status_updated_at ?? '')));
  const maxDepth = (k: keyof typeof depthSeries.depth) => Math.max(0, ...depthSeries.depth[k]);
  victimLatencies.sort((a, b) => a - b);

  reportLoad(
    'concurrent-runs',
    {
      scale,
      tenants: 3,
      runs: all.length,
      rounds: size.rounds,
      runs_completed: all.filter((r) => r.status === 'completed').length,
      makespan_s: Math.round((completedLast - createdFirst) / 100) / 10,
      runs_per_hour: Math.round((all.length / Math.max(1, completedLast - createdFirst)) * 3_600_000),
      automation_latency_p50_ms: p(latency.enqueueMs, 50),
      automation_latency_p99_ms: p(latency.enqueueMs, 99),
      next_generate_pickup_p50_ms: p(latency.pickupMs, 50),
      next_generate_pickup_p99_ms: p(latency.pickupMs, 99),
      rows_lost: rowsLost,
      rows_duplicated: rowsDuplicated,
      rows_foreign: rowsForeign,
      stages_started_twice: twice.stages.length,
      units_started_twice: twice.units.length,
    },
    { latency, problems, twice },
  );
  reportLoad('concurrent-runs/flood', {
    t1_s: Math.round(t1Seconds * 10) / 10,
    bound_s: Math.round(bound),
    victim_run_p50_s: Math.round((victimSeconds[Math.floor(victimSeconds.length / 2)] ?? 0) * 10) / 10,
    victim_run_max_s: Math.round(victimMax * 10) / 10,
    within_bound: victimMax <= bound ? 1 : 0,
    victim_api_p50_ms: p(victimLatencies, 50),
    victim_api_p99_ms: p(victimLatencies, 99),
    victim_429: victimLimited.count,
    flood_runs_admitted: floodRuns.length,
    flood_posts: flood.posts,
    flood_posts_429: flood.posts_429,
    flood_gets: flood.gets,
    flood_gets_429: flood.gets_429,
    status_5xx: flood.gets_5xx,
  });
  reportLoad(
    'concurrent-runs/queue-depth',
    {
      samples: depthSeries.t_s.length,
      max_generate: maxDepth('generate'),
      max_judge: maxDepth('judge'),
      max_train: maxDepth('train'),
      max_events: maxDepth('events'),
      t_s: thin(depthSeries.t_s).join(','),
      generate: thin(depthSeries.depth.generate).join(','),
      judge: thin(depthSeries.depth.judge).join(','),
      train: thin(depthSeries.depth.train).join(','),
      events: thin(depthSeries.depth.events).join(','),
    },
    depthSeries,
  );

  expect(problems).toEqual([]);
  expect({ rowsLost, rowsDuplicated, rowsForeign }).toEqual({ rowsLost: 0, rowsDuplicated: 0, rowsForeign: 0 });
  expect(twice.stages).toEqual([]);
  expect(twice.units).toEqual([]);
  expect(latency.enqueueMs).toHaveLength(ids.size * (size.rounds - 1));
  // The flood was answered with 429 and never reached the others.
  expect(flood.gets_429).toBeGreaterThan(0);
  expect(flood.gets_5xx).toBe(0);
  expect(flood.rate_limit_codes_ok).toBe(true);
  expect(victimLimited.count).toBe(0);
  expect(floodRuns.length).toBeLessThanOrEqual(size.floodRunsTotal);
  expect(victimMax, `acme's and globex's runs took up to ${victimMax} s; bound ${bound} s (T1 ${t1Seconds} s)`).toBeLessThanOrEqual(bound);
  for (const dlq of Object.values(stack.dlqs)) expect((await dlq.depth()).total).toBe(0);
});
