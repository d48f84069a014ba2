/**
 * The read side of the API: a run's state, a round's artefacts and a tenant's run list, all derived
 * from S3 with the same listing the automation uses (automation/load.ts), so the API and the state
 * machine never disagree about where a run stands.
 */
import {
  checkpointCompleteKey,
  combineJudgeMetrics,
  judgeMetricsPrefix,
  checkpointPrefix,
  currentRound,
  generationsPrefix,
  tripletsPrefix,
  deriveEvalProgress,
  deriveRoundProgress,
  evalMetricsKey,
  evalMetricsSchema,
  failureRecordSchema,
  pendingEvaluations,
  type EvalMetrics,
  type RunState,
  failuresPrefix,
  generationShardKey,
  manifestKey,
  roundManifestSchema,
  roundMetricsKey,
  roundMetricsSchema,
  tripletShardKey,
  type FailureRecord,
  type RoundMetrics,
} from '@sppo/core';
import { z } from 'zod';
import type { roundProgressSchema, roundTimingsSchema, roundViewSchema, runListSchema, runViewSchema } from '../api/schemas.ts';
import { readEvalPool } from '../automation/evaluation.ts';
import { loadRun, type LoadedRun } from '../automation/load.ts';
import { notFound } from '../http/errors.ts';
import type { ApiStore, ObjectEntry, RunStore } from '../ports.ts';
import { tenantRunPrefix } from '../tenants.ts';
import { readJson, summaryKey, type RunRecord } from './record.ts';

export type RunView = z.infer<typeof runViewSchema>;
export type RoundView = z.infer<typeof roundViewSchema>;
export type RunList = z.infer<typeof runListSchema>;
type RoundProgressView = z.infer<typeof roundProgressSchema>;
type RoundTimings = z.infer<typeof roundTimingsSchema>;

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await fn(items[index] as T);
    }
  });
  await Promise.all(workers);
  return out;
}

function trainSummary(metrics: RoundMetrics): Record<string, number> | undefined {
  if (metrics.train === undefined) return undefined;
  const last = metrics.train.log_history.at(-1) ?? {};
  return { ...last, ...(metrics.train.summary ?? {}) };
}

/**
 * When each stage of round t finished, from the listing's modification times: the manifest (the
 * round started), the last of its generation and triplet shards once all `shards` exist, and the
 * output checkpoint's _COMPLETE. No extra reads: the run's one listing has them all.
 */
export function roundTimings(objects: readonly ObjectEntry[], runId: string, t: number, shards: number): RoundTimings {
  const modified = new Map(objects.map((o) => [o.key, o.lastModified]));
  const lastOf = (prefix: string): string | undefined => {
    const times = objects.filter((o) => o.key.startsWith(prefix) && o.key.endsWith('.jsonl')).map((o) => o.lastModified);
    return times.length >= shards && times.every((time) => time !== '') ? times.sort().at(-1) : undefined;
  };
  const at = {
    started_at: modified.get(manifestKey(runId, t)) || undefined,
    generated_at: lastOf(generationsPrefix(runId, t)),
    judged_at: lastOf(tripletsPrefix(runId, t)),
    trained_at: modified.get(checkpointCompleteKey(runId, t + 1)) || undefined,
  };
  const seconds = (from: string | undefined, to: string | undefined): number | undefined =>
    from === undefined || to === undefined ? undefined : Math.max(0, (Date.parse(to) - Date.parse(from)) / 1000);
  const durations = {
    generate_s: seconds(at.started_at, at.generated_at),
    judge_s: seconds(at.generated_at, at.judged_at),
    train_s: seconds(at.judged_at, at.trained_at),
    total_s: seconds(at.started_at, at.trained_at),
  };
  return Object.fromEntries(Object.entries({ ...at, ...durations }).filter(([, v]) => v !== undefined));
}

function evalProgressView(state: RunState, t: number): Omit<RoundProgressView['evaluation'], 'metrics'> {
  const { phase, shards, generated, judged } = deriveEvalProgress(state, t);
  return { phase, shards, generated, judged };
}

async function loadRequired(store: RunStore, record: RunRecord): Promise<LoadedRun> {
  const run = await loadRun(store, record.run_id);
  if (run === null) throw notFound(`run ${record.run_id}`);
  return run;
}

const judgeShardMetricsSchema = z.object({ judge: z.record(z.string(), z.number()) });

/**
 * Round t's metrics.json (written by the trainer), with its judge part filled in from the judge's
 * per-shard objects (judgeMetricsKey) while the round has no such part yet: the judge writes one
 * object per shard, so a round's judge metrics exist before (and without) training.
 */
async function roundMetrics(store: RunStore, runId: string, t: number, keys: readonly string[]): Promise<RoundMetrics | null> {
  const has = keys.includes(roundMetricsKey(runId, t));
  const metrics = has ? await readJson(store, roundMetricsKey(runId, t), roundMetricsSchema) : null;
  if (metrics?.judge !== undefined) return metrics;
  const prefix = judgeMetricsPrefix(runId, t);
  const shardKeys = keys.filter((key) => key.startsWith(prefix) && key.endsWith('.json'));
  if (shardKeys.length === 0) return metrics;
  const shards = await mapLimit(shardKeys, 8, (key) => readJson(store, key, judgeShardMetricsSchema));
  const judge = combineJudgeMetrics(shards.flatMap((shard) => (shard === null ? [] : [shard.judge])));
  return { ...(metrics ?? { run_id: runId, round: t }), judge };
}

/** Each round's evaluation metrics (round={t}/eval/metrics.json), null where not written. */
async function evalMetricsOf(store: RunStore, run: LoadedRun, keys: ReadonlySet<string>): Promise<(EvalMetrics | null)[]> {
  const runId = run.record.run_id;
  return mapLimit(run.state.rounds, 8, (r) => (keys.has(evalMetricsKey(runId, r.round)) ? readJson(store, evalMetricsKey(runId, r.round), evalMetricsSchema) : Promise.resolve(null)));
}

/** The run's stage: the current round's phase, 'evaluating' when only evaluations remain, else 'done'. */
function runStage(state: RunState, currentPhase: RoundProgressView['phase'] | undefined): RunView['stage'] {
  if (currentPhase !== undefined) return currentPhase;
  return pendingEvaluations(state).length > 0 ? 'evaluating' : 'done';
}

export async function buildRunView(store: RunStore, record: RunRecord): Promise<RunView> {
  const run = await loadRequired(store, record);
  const runId = record.run_id;
  const keys = run.objects.map((o) => o.key);
  const failureKeys = keys.filter((key) => key.startsWith(failuresPrefix(runId)) && key.endsWith('.json'));
  const [failures, metrics, evalMetrics, summary] = await Promise.all([
    mapLimit(failureKeys, 8, (key) => readJson(store, key, failureRecordSchema)),
    mapLimit(run.state.rounds, 8, (r) => roundMetrics(store, runId, r.round, keys)),
    evalMetricsOf(store, run, new Set(keys)),
    run.state.status === 'completed' ? readJson(store, summaryKey(runId), z.record(z.string(), z.unknown())) : Promise.resolve(null),
  ]);
  const rounds: RoundProgressView[] = run.state.rounds.map((r, t) => {
    const progress = deriveRoundProgress(run.state, t);
    const m = metrics[t] ?? null;
    const train = m === null ? undefined : trainSummary(m);
    return {
      round: t,
      phase: progress.phase,
      shards: progress.shards,
      generated: progress.generated,
      judged: progress.judged,
      checkpoint_complete: progress.checkpointComplete,
      timings: roundTimings(run.objects, runId, t, run.shardCount),
      evaluation: { ...evalProgressView(run.state, t), metrics: evalMetrics[t] ?? null },
      metrics: m === null ? null : { ...(m.generation ? { generation: m.generation } : {}), ...(m.judge ? { judge: m.judge } : {}), ...(train ? { train } : {}) },
    };
  });
  const current = currentRound(run.state);
  const now = current === null ? undefined : rounds[current];
  return {
    run_id: runId,
    status: run.state.status,
    ...(run.status?.reason === undefined ? {} : { status_reason: run.status.reason }),
    ...(run.status === null ? {} : { status_updated_at: run.status.updated_at }),
    created_at: record.created_at,
    current_round: current,
    stage: runStage(run.state, now?.phase),
    progress: { shards: run.shardCount, generated: now?.generated ?? run.shardCount, judged: now?.judged ?? run.shardCount },
    num_iterations: record.config.num_iterations,
    shards_per_round: run.shardCount,
    rounds,
    failures: failures.filter((f): f is FailureRecord => f !== null).sort((a, b) => a.failed_at.localeCompare(b.failed_at)),
    evaluation: {
      enabled: run.evalShardCount > 0,
      // run.json of the gateway records the count; a record written by other tools: count them.
      prompts: record.eval_prompt_count ?? (run.evalShardCount > 0 ? (await readEvalPool(store, record.config)).length : 0),
      shards: run.evalShardCount,
      every: record.config.eval_every,
      table: evalMetrics.filter((m): m is EvalMetrics => m !== null),
    },
    config: record.config,
    ...(summary === null ? {} : { summary }),
  };
}

export async function buildRoundView(store: RunStore, record: RunRecord, t: number): Promise<RoundView> {
  if (t >= record.config.num_iterations) throw notFound(`round ${t} of run ${record.run_id} (it has rounds 0..${record.config.num_iterations - 1})`);
  const run = await loadRequired(store, record);
  const runId = record.run_id;
  const has = new Set(run.objects.map((o) => o.key));
  const [manifest, metrics, evaluation] = await Promise.all([
    has.has(manifestKey(runId, t)) ? readJson(store, manifestKey(runId, t), roundManifestSchema) : Promise.resolve(null),
    roundMetrics(store, runId, t, run.objects.map((o) => o.key)),
    has.has(evalMetricsKey(runId, t)) ? readJson(store, evalMetricsKey(runId, t), evalMetricsSchema) : Promise.resolve(null),
  ]);
  const shards = Array.from({ length: run.shardCount }, (_, i) => i);
  return {
    run_id: runId,
    round: t,
    phase: deriveRoundProgress(run.state, t).phase,
    manifest,
    metrics,
    evaluation,
    links: {
      manifest: manifestKey(runId, t),
      metrics: roundMetricsKey(runId, t),
      evaluation: evalMetricsKey(runId, t),
      generations: shards.map((shard) => ({ shard, key: generationShardKey(runId, t, shard), exists: has.has(generationShardKey(runId, t, shard)) })),
      triplets: shards.map((shard) => ({ shard, key: tripletShardKey(runId, t, shard), exists: has.has(tripletShardKey(runId, t, shard)) })),
      checkpoint: { prefix: checkpointPrefix(runId, t + 1), complete_key: checkpointCompleteKey(runId, t + 1), complete: has.has(checkpointCompleteKey(runId, t + 1)) },
    },
  };
}

/**
 * One page of the tenant's runs: one S3 listing of runs/{tenant}--, then per run what the automation
 * loads (run.json, status.json and the run's listing), for its current round and stage.
 */
export async function listRuns(store: ApiStore, tenant: string, { limit, cursor }: { limit: number; cursor?: string }): Promise<RunList> {
  const page = await store.listPage(tenantRunPrefix(tenant), { delimiter: '/', maxKeys: limit, ...(cursor === undefined ? {} : { cursor }) });
  const ids = page.prefixes.map((prefix) => prefix.slice('runs/'.length, -1));
  const rows = await mapLimit(ids, 8, async (runId) => {
    const run = await loadRun(store, runId);
    if (run === null || run.record.tenant !== tenant) return null; // half-created or foreign: not listed
    const { record, status, state } = run;
    const current = currentRound(state);
    return {
      run_id: runId,
      status: state.status,
      created_at: record.created_at,
      ...(status === null ? {} : { status_updated_at: status.updated_at }),
      current_round: current,
      stage: runStage(state, current === null ? undefined : deriveRoundProgress(state, current).phase),
      num_iterations: record.config.num_iterations,
      model_name_or_path: record.config.model_name_or_path,
      loss_type: record.config.loss_type,
    } as const;
  });
  return { runs: rows.filter((row) => row !== null), ...(page.cursor === undefined ? {} : { next_cursor: page.cursor }) };
}
