/**
 * The evaluation stage's commands on the gateway side (issue 21; core's state machine emits them):
 * - write_eval_manifest(t): round t's evaluation manifest, a pure function of what is in S3 (the
 *   evaluation prompts cut into shards of prompts_per_shard, the checkpoints of 0, t and t+1, and
 *   the time checkpoint t+1 became ready), so racing writers write the same bytes;
 * - enqueue_eval_generate / enqueue_eval_judge: the task on the generate / judge queue first, its
 *   marker after (a crash in between can only duplicate an enqueue, never lose one);
 * - write_eval_metrics(t): read round t's judgment shards and write the table row (core's
 *   evalMetricsFromJudgments, deterministic content).
 */
import {
  evalGenerateMarkerKey,
  evalJudgeMarkerKey,
  evalJudgmentRowSchema,
  evalJudgmentShardKey,
  evalManifestKey,
  evalManifestSchema,
  evalMetricsFromJudgments,
  evalMetricsKey,
  evalPolicies,
  evalPolicyList,
  parseJsonl,
  promptPoolRowSchema,
  type EvalManifest,
  type EvalMetrics,
  type PoolPrompt,
  type RunConfig,
  type Task,
} from '@sppo/core';
import type { ObjectEntry, RunStore, TaskQueues } from '../ports.ts';
import type { RunRecord } from '../runs/record.ts';
import { roundCheckpointKey, roundStartedAt } from './manifest.ts';

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The run's evaluation prompts (runs/{run}/eval/prompts.jsonl once resolved); [] when evaluation is off. */
export async function readEvalPool(store: RunStore, config: RunConfig): Promise<PoolPrompt[]> {
  const source = config.eval_prompts;
  if (source === undefined) return [];
  if (Array.isArray(source)) return source.map((entry, i) => (typeof entry === 'string' ? { prompt_id: `e${i}`, prompt: entry } : { prompt_id: entry.prompt_id ?? `e${i}`, prompt: entry.prompt }));
  const text = await store.getText(source.key);
  if (text === null) return [];
  return parseJsonl(text, promptPoolRowSchema, { subject: `evaluation prompts ${source.key}` }).map((row, i) => ({ prompt_id: row.prompt_id ?? `e${i}`, prompt: row.prompt }));
}

/** Shards of the evaluation prompts: ceil(count / prompts_per_shard); 0 when there are none. */
export function evalShardCount(config: RunConfig, count: number): number {
  return count === 0 ? 0 : Math.ceil(count / config.prompts_per_shard);
}

export function buildEvalManifest(record: RunRecord, t: number, pool: readonly PoolPrompt[], objects: readonly ObjectEntry[]): EvalManifest {
  if (pool.length === 0) throw new Error(`run ${record.run_id} has no evaluation prompts, but its round ${t} evaluation was started`);
  const size = record.config.prompts_per_shard;
  const shards = Array.from({ length: Math.ceil(pool.length / size) }, (_, shard) => ({ shard, prompt_ids: pool.slice(shard * size, (shard + 1) * size).map((p) => p.prompt_id) }));
  const { candidate, baselines } = evalPolicies(t);
  return evalManifestSchema.parse({
    run_id: record.run_id,
    round: t,
    candidate,
    baselines,
    checkpoints: evalPolicyList(t).map((policy) => ({ policy, key: roundCheckpointKey(record, policy, objects) })),
    shards,
    created_at: roundStartedAt(record, t + 1, objects),
    config: record.config,
  });
}

export async function writeEvalManifest(store: RunStore, record: RunRecord, t: number, objects: readonly ObjectEntry[]): Promise<void> {
  const key = evalManifestKey(record.run_id, t);
  if ((await store.getText(key)) !== null) return;
  const manifest = buildEvalManifest(record, t, await readEvalPool(store, record.config), objects);
  await store.put(key, json(manifest), 'application/json');
}

export async function enqueueEvalGenerate(store: RunStore, queues: TaskQueues, runId: string, command: { round: number; policy: number; shard: number }, at: string): Promise<void> {
  await queues.send('generate', { type: 'eval_generate', run_id: runId, round: command.round, policy: command.policy, shard: command.shard } satisfies Task);
  await store.put(evalGenerateMarkerKey(runId, command.policy, command.shard), json({ enqueued_at: at, round: command.round }), 'application/json');
}

export async function enqueueEvalJudge(store: RunStore, queues: TaskQueues, runId: string, command: { round: number; shard: number }, at: string): Promise<void> {
  await queues.send('judge', { type: 'eval_judge', run_id: runId, round: command.round, shard: command.shard } satisfies Task);
  await store.put(evalJudgeMarkerKey(runId, command.round, command.shard), json({ enqueued_at: at }), 'application/json');
}

/** Round t's evaluation metrics from its judgment shards (all of them exist when the machine asks). */
export async function computeEvalMetrics(store: RunStore, record: RunRecord, t: number, shardCount: number): Promise<EvalMetrics> {
  const runId = record.run_id;
  const texts = await Promise.all(
    Array.from({ length: shardCount }, async (_, i) => {
      const key = evalJudgmentShardKey(runId, t, i);
      const text = await store.getText(key);
      if (text === null) throw new Error(`round ${t}'s evaluation judgments ${key} are missing; the metrics wait for every shard`);
      return parseJsonl(text, evalJudgmentRowSchema, { subject: key });
    }),
  );
  return evalMetricsFromJudgments(texts.flat(), {
    runId,
    round: t,
    judgeModel: record.config.judge_model,
    samplesPerPrompt: record.config.eval_samples_per_prompt,
  });
}

export async function writeEvalMetrics(store: RunStore, record: RunRecord, t: number, shardCount: number): Promise<void> {
  const metrics = await computeEvalMetrics(store, record, t, shardCount);
  await store.put(evalMetricsKey(record.run_id, t), json(metrics), 'application/json');
}
