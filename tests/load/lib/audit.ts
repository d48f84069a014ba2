/**
 * The load suite's checks and figures, from what the system itself says: the services' structured
 * log lines (one per unit: `generate.started`, `judge.done`, `train.started`, `train.done`; the
 * events worker's `event.handled` with the stages it started, `event.coalesced`, `events.progress`),
 * the gateway's API, SQS's queue attributes, and the bucket, audited row by row as the fault suite
 * does (tests/helpers/runs.ts).
 */
import { checkpointFileKey, promptsKey, type RoundManifest } from '@sppo/core';
import type { ObjectStore, Queue, QueueKind } from '@sppo/cloud';
import type { LogLine } from '../../helpers/processes.ts';
import { auditRun, rowDefects } from '../../helpers/runs.ts';
import { percentile } from './load-gen.ts';

const json = (l: LogLine) => l.json ?? {};
const timeOf = (l: LogLine) => Date.parse(String(json(l).time));

/** Keys seen more than once in `keys`, with their counts. */
function repeated(keys: string[]): string[] {
  const counts = new Map<string, number>();
  for (const k of keys) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`);
}

/**
 * Stages the events worker started more than once for a run (`event.handled`'s `started`:
 * generate:t, judge:t:i, train:t, complete), and units the services started more than once
 * (`generate.started`, `judge.done`, `train.started` per run/round/shard).
 */
export function doubleStarts(logs: readonly LogLine[], runIds: ReadonlySet<string>): { stages: string[]; units: string[]; stageStarts: number } {
  const stageKeys: string[] = [];
  const unitKeys: string[] = [];
  for (const l of logs) {
    const j = json(l);
    const run = String(j.run_id);
    if (!runIds.has(run)) continue;
    if (l.service === 'events' && j.event === 'event.handled' && Array.isArray(j.started)) for (const s of j.started) stageKeys.push(`${run} ${String(s)}`);
    if (j.event === 'generate.started' || j.event === 'judge.done') unitKeys.push(`${run} ${String(j.event)} ${String(j.round)}:${String(j.shard)}`);
    if (j.event === 'train.started') unitKeys.push(`${run} train.started ${String(j.round)}`);
  }
  return { stages: repeated(stageKeys), units: repeated(unitKeys), stageStarts: stageKeys.length };
}

/**
 * The automation's latency per round boundary: from the trainer's `train.done` (logged right after
 * it published checkpoint.ready) to the events worker's `event.handled` for that checkpoint.ready
 * that started the next round (its generate messages are on the queue by then), and on to the
 * generator's first `generate.started` of the next round (queue wait included).
 */
export function automationLatency(logs: readonly LogLine[], runIds: ReadonlySet<string>): { enqueueMs: number[]; pickupMs: number[] } {
  const trained = new Map<string, number>();
  const advanced = new Map<string, number>();
  const picked = new Map<string, number>();
  for (const l of logs) {
    const j = json(l);
    const run = String(j.run_id);
    if (!runIds.has(run)) continue;
    const t = Number(j.round);
    if (j.event === 'train.done') trained.set(`${run}/${t}`, Math.min(trained.get(`${run}/${t}`) ?? Infinity, timeOf(l)));
    if (l.service === 'events' && j.event === 'event.handled' && j.type === 'checkpoint.ready' && Array.isArray(j.started) && j.started.includes(`generate:${t + 1}`)) advanced.set(`${run}/${t}`, timeOf(l));
    if (j.event === 'generate.started' && t > 0) picked.set(`${run}/${t - 1}`, Math.min(picked.get(`${run}/${t - 1}`) ?? Infinity, timeOf(l)));
  }
  const enqueueMs: number[] = [];
  const pickupMs: number[] = [];
  for (const [key, at] of trained) {
    const a = advanced.get(key);
    const p = picked.get(key);
    if (a !== undefined) enqueueMs.push(Math.max(0, a - at));
    if (p !== undefined) pickupMs.push(Math.max(0, p - at));
  }
  return { enqueueMs: enqueueMs.sort((x, y) => x - y), pickupMs: pickupMs.sort((x, y) => x - y) };
}

export const p = (sorted: readonly number[], q: number) => Math.round(percentile(sorted, q));

/**
 * The whole-run audit of tests/helpers/runs.ts (one generation row and one triplet row per prompt
 * of each round's manifest, every checkpoint complete, every key in core's layout) plus ownership:
 * every row's prompt id and text carry this run's tag, each round's manifest starts from this run's
 * own checkpoint, and each trained checkpoint's training_args.json names this run's prompt pool.
 */
export async function auditOwnedRun(objects: ObjectStore, runId: string, tag: string, rounds: number): Promise<{ lost: number; duplicated: number; foreign: number; problems: string[] }> {
  const audit = await auditRun(objects, runId, rounds);
  const defects = rowDefects(audit);
  const problems = [...defects.details, ...audit.strayKeys.map((k) => `stray key ${k}`)];
  let foreign = 0;
  audit.manifests.forEach((m: RoundManifest, t) => {
    for (const id of m.shards.flatMap((s) => s.prompt_ids)) {
      if (!id.startsWith(`${tag}-`)) {
        foreign += 1;
        problems.push(`round ${t}: prompt ${id} is not this run's`);
      }
    }
    if (t > 0 && m.checkpoint_key !== `runs/${runId}/checkpoints/${t}/`) problems.push(`round ${t} starts from ${m.checkpoint_key}`);
  });
  for (let t = 0; t < rounds; t++) {
    for (const shard of audit.manifests[t]?.shards ?? []) {
      for (const kind of ['generations', 'triplets'] as const) {
        const rows = (await objects.readJsonl(`runs/${runId}/round=${t}/${kind}/shard=${shard.shard}.jsonl`)).rows as { prompt_id?: unknown; prompt?: unknown }[];
        for (const row of rows) {
          if (!String(row.prompt_id).startsWith(`${tag}-`) || !JSON.stringify(row.prompt).includes(tag)) {
            foreign += 1;
            problems.push(`round ${t} ${kind} shard ${shard.shard}: row ${String(row.prompt_id)} belongs to another run`);
          }
        }
      }
    }
    const args = JSON.parse((await objects.getText(checkpointFileKey(runId, t + 1, 'training_args.json'))) ?? '{}') as { prompts?: { key?: string } };
    if (args.prompts?.key !== promptsKey(runId)) {
      foreign += 1;
      problems.push(`checkpoint ${t + 1} was trained for ${JSON.stringify(args.prompts)}`);
    }
  }
  if (audit.completeCheckpoints !== rounds) problems.push(`${audit.completeCheckpoints} of ${rounds} checkpoints complete`);
  return { lost: defects.lost, duplicated: defects.duplicated, foreign, problems };
}

/** Samples every queue's depth (visible + in flight, from SQS's attributes) every `everyMs`. */
export function sampleQueueDepths(queues: Record<QueueKind, Queue>, everyMs = 1_000): { stop(): Promise<{ t_s: number[]; depth: Record<QueueKind, number[]> }> } {
  const started = Date.now();
  const t_s: number[] = [];
  const depth = { generate: [], judge: [], train: [], events: [] } as Record<QueueKind, number[]>;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const at = Math.round((Date.now() - started) / 100) / 10;
      const values = await Promise.all((Object.keys(depth) as QueueKind[]).map(async (k) => [k, (await queues[k].depth()).total] as const)).catch(() => null);
      if (values !== null) {
        t_s.push(at);
        for (const [k, v] of values) depth[k].push(v);
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return { t_s, depth };
    },
  };
}

/** `n` evenly spaced samples of a series (for a compact timeline in a figures line). */
export function thin<T>(values: readonly T[], n = 12): T[] {
  if (values.length <= n) return [...values];
  return Array.from({ length: n }, (_, i) => values[Math.round((i * (values.length - 1)) / (n - 1))] as T);
}
