/**
 * Event storms (issue 18): in two waves, `stormRuns` new runs (of `stormRounds` rounds: 1 at the
 * default size, to stay within the suite's budget; 2 at the full size) are started and, while they run,
 * half of `stormEvents` copies of every event those runs can produce (run.created; shard.generated
 * and shard.judged for every round and shard; checkpoint.ready for every round), shuffled, are put
 * on the events queue on top of the services' own events: many arrive before the output they
 * announce exists, many long after.
 *
 * Expected: every run completes with one row per prompt; the events worker starts no stage twice
 * (its `event.handled` lines: it handles one event of a run at a time and answers copies of a
 * waiting event with that event's handling, automation/run-serializer.ts) and no service starts a
 * unit twice; the events queue drains and nothing is dead-lettered; the events worker's memory
 * stays flat, from its own `events.progress` lines: the first wave grows it to its working set
 * (sockets, allocator), the second wave, as large, must not grow it further.
 */
import type { RunEvent } from '@sppo/core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { seededRandom } from '../helpers/bucket.ts';
import { fastRunConfig } from '../helpers/runs.ts';
import { uploadTinyModel } from '../helpers/tiny-model.ts';
import { auditOwnedRun, doubleStarts, sampleQueueDepths, thin } from './lib/audit.ts';
import { reportLoad } from './lib/report.ts';
import { loadScale } from './lib/scale.ts';
import { startLoadStack, type LoadStack } from './lib/stack.ts';

const { name: scale, size } = loadScale();
const TENANT = 'storm';
const SHARDS = size.promptsPerRound / 2;
const TIMEOUT_MS = 300_000;
let stack: LoadStack;
let model: string;

beforeAll(async () => {
  stack = await startLoadStack({ tenants: [TENANT], gatewayEnv: { SPPO_LIMIT_RUNNING_RUNS: '0', SPPO_LIMIT_REQUESTS_PER_MINUTE: '0' } });
  model = await uploadTinyModel(stack.objects);
});

afterAll(async () => {
  await stack?.stop();
});

type Progress = Record<string, number>;

/** The events worker's first `events.progress` line (one a second here) written after `since`. */
async function progressAfter(since: number): Promise<Progress> {
  return until('an events.progress line', () => {
    const line = stack.processes.events('events.progress', 'events').at(-1);
    return line !== undefined && Date.parse(String(line.json?.time)) > since ? (line.json as Progress) : undefined;
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, everyMs = 250): Promise<T> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${TIMEOUT_MS} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

const tags = new Map<string, string>();

/** One wave: start the runs, storm them, wait until they completed and the queue drained. */
async function wave(w: number, events: number, seed: number): Promise<{ runs: string[]; sentMs: number; drainedMs: number; finishedMs: number }> {
  const runs = await Promise.all(
    Array.from({ length: size.stormRuns }, async (_, k) => {
      const tag = `storm-w${w}r${k}`;
      const config = {
        ...fastRunConfig({ model, prompts: size.promptsPerRound, promptsPerShard: 2, rounds: size.stormRounds }),
        prompts: Array.from({ length: size.promptsPerRound * size.stormRounds }, (_, i) => ({ prompt_id: `${tag}-q${i}`, prompt: `[${tag}] Question ${i}: name a colour.` })),
      };
      const res = await stack.call(TENANT, 'POST', '/v1/runs', config);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      tags.set(String(res.body.run_id), tag);
      return String(res.body.run_id);
    }),
  );
  // Every event these runs can produce, copied round-robin up to `events`, then shuffled.
  const kinds: RunEvent[] = runs.flatMap((run_id) => [
    { type: 'run.created', run_id } as RunEvent,
    ...Array.from({ length: size.stormRounds }, (_, round) => [
      ...Array.from({ length: SHARDS }, (_, shard) => [
        { type: 'shard.generated', run_id, round, shard } as RunEvent,
        { type: 'shard.judged', run_id, round, shard } as RunEvent,
      ]).flat(),
      { type: 'checkpoint.ready', run_id, round } as RunEvent,
    ]).flat(),
  ]);
  const storm = Array.from({ length: events }, (_, i) => kinds[i % kinds.length] as RunEvent);
  const rnd = seededRandom(seed);
  for (let i = storm.length - 1; i > 0; i--) {
    const j = rnd.int(i + 1);
    [storm[i], storm[j]] = [storm[j] as RunEvent, storm[i] as RunEvent];
  }

  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < storm.length) {
        const chunk = storm.slice(next, next + 100);
        next += 100;
        await stack.queues.events.sendBatch(chunk);
      }
    }),
  );
  const sentMs = Date.now() - started;
  // Drained: the events queue (SQS's own count, visible + in flight) is empty for the first time.
  await until(`wave ${w}'s storm to drain`, async () => ((await stack.queues.events.depth()).total === 0 ? true : undefined), 100);
  const drainedMs = Date.now() - started;
  // Finished: the wave's runs finished and the events queue was empty twice in a row.
  let emptyOnce = false;
  await until(`wave ${w}'s runs to finish and the events queue to drain`, async () => {
    const listed = await stack.call(TENANT, 'GET', '/v1/runs?limit=100');
    const statuses = (listed.body.runs as { run_id: string; status: string }[] | undefined) ?? [];
    const finished = runs.every((id) => statuses.some((r) => r.run_id === id && r.status !== 'running'));
    const empty = (await stack.queues.events.depth()).total === 0;
    const drained = finished && empty && emptyOnce;
    emptyOnce = finished && empty;
    return drained ? true : undefined;
  }, 500);
  return { runs, sentMs, drainedMs, finishedMs: Date.now() - started };
}

test(`${size.stormEvents} duplicated and reordered events for running runs, in two waves (${scale}): no stage starts twice, the queue drains, memory stays flat`, async () => {
  const before = await progressAfter(0);
  const depths = sampleQueueDepths(stack.queues, 500);
  const half = Math.floor(size.stormEvents / 2);
  const first = await wave(0, half, 18);
  const afterFirst = await progressAfter(Date.now());
  const second = await wave(1, size.stormEvents - half, 19);
  const after = await progressAfter(Date.now());
  const series = await depths.stop();
  const runs = [...first.runs, ...second.runs];

  const listed = await stack.call(TENANT, 'GET', '/v1/runs?limit=100');
  const statuses = (listed.body.runs as { run_id: string; status: string }[]).filter((r) => tags.has(r.run_id));
  let rowsLost = 0;
  let rowsDuplicated = 0;
  const problems: string[] = [];
  for (const run of runs) {
    const audit = await auditOwnedRun(stack.objects, run, tags.get(run) as string, size.stormRounds);
    rowsLost += audit.lost;
    rowsDuplicated += audit.duplicated + audit.foreign;
    problems.push(...audit.problems.map((x) => `${run}: ${x}`));
  }
  const ids = new Set(runs);
  const twice = doubleStarts(stack.processes.logs, ids);
  const ofRuns = (event: string) => stack.processes.events(event, 'events').filter((l) => ids.has(String(l.json?.run_id))).length;
  const handled = ofRuns('event.handled');
  const coalesced = ofRuns('event.coalesced');
  const dead = (await stack.dlqs.events.depth()).total;
  const progressLines = stack.processes.events('events.progress', 'events');
  const drainMs = first.drainedMs + second.drainedMs;

  reportLoad(
    'event-storm',
    {
      scale,
      runs: runs.length,
      events_injected: size.stormEvents,
      events_handled: handled,
      events_coalesced: coalesced,
      inject_s: Math.round((first.sentMs + second.sentMs) / 100) / 10,
      drain_s: Math.round(drainMs / 100) / 10,
      events_per_s: Math.round((size.stormEvents / Math.max(1, drainMs)) * 1000),
      runs_finished_s: Math.round((first.finishedMs + second.finishedMs) / 100) / 10,
      max_events_queue: Math.max(0, ...series.depth.events),
      events_queue_after: (await stack.queues.events.depth()).total,
      dead_lettered: dead,
      rss_before_mb: before.rss_mb ?? 0,
      rss_after_wave1_mb: afterFirst.rss_mb ?? 0,
      rss_after_mb: after.rss_mb ?? 0,
      rss_peak_mb: Math.max(...progressLines.map((l) => Number(l.json?.rss_mb))),
      rss_growth_wave2_mb_per_1k_events: Math.round((((after.rss_mb ?? 0) - (afterFirst.rss_mb ?? 0)) / Math.max(1, size.stormEvents - half)) * 1000 * 10) / 10,
      heap_live_before_mb: before.heap_live_mb ?? 0,
      heap_live_after_wave1_mb: afterFirst.heap_live_mb ?? 0,
      heap_live_after_mb: after.heap_live_mb ?? 0,
      runs_busy_after: after.runs_busy ?? -1,
      rows_lost: rowsLost,
      stages_started_twice: twice.stages.length,
      units_started_twice: twice.units.length,
      events_queue: thin(series.depth.events).join(','),
      rss_mb: thin(progressLines.map((l) => Number(l.json?.rss_mb))).join(','),
    },
    { problems, twice, series, progress: progressLines.map((l) => l.json) },
  );

  expect(statuses.map((r) => r.status)).toEqual(runs.map(() => 'completed'));
  expect(problems).toEqual([]);
  expect({ rowsLost, rowsDuplicated }).toEqual({ rowsLost: 0, rowsDuplicated: 0 });
  expect(twice.stages).toEqual([]);
  expect(twice.units).toEqual([]);
  // Every injected copy was consumed: handled on its own or answered by an identical waiting one.
  expect(handled + coalesced).toBeGreaterThanOrEqual(size.stormEvents);
  expect(dead).toBe(0);
  expect(after.runs_busy).toBe(0);
  // Flat: the second wave, as large as the first, leaves the worker no bigger than the first did.
  // The live heap (after the last major GC) is the sharp figure; RSS also holds garbage not yet
  // collected and what the allocator keeps, so its margin is wide (at the full size the second
  // wave of 5,000 events added about 12 MiB of RSS; at the default size the first wave of 500 is
  // too short to reach the working set).
  const rss1 = afterFirst.rss_mb ?? 0;
  expect(after.heap_live_mb ?? Infinity).toBeLessThanOrEqual((afterFirst.heap_live_mb ?? 0) + 16);
  expect(after.rss_mb ?? Infinity).toBeLessThanOrEqual(rss1 + Math.max(96, rss1 / 2));
});
