/**
 * The round manifest (ARCHITECTURE 3.2), runs/{run}/round={t}/_manifest.json. Its content is a pure
 * function of what is in S3, so two hosts racing to write it write identical bytes:
 * - shards: core's planRound over the prompt pool (positions are stable, the pool only grows);
 * - checkpoint_key: runs/{run}/checkpoints/{t}/ (round t-1's output; for t = 0 the base model the
 *   gateway copied there), except round 0 of a run whose base is a local folder (nothing in the
 *   bucket, no checkpoints/0/_COMPLETE): then `model_name_or_path` itself;
 * - created_at: when the round became startable: the run's creation for round 0, else the
 *   modification time of checkpoints/{t}/_COMPLETE (truncated to seconds, the precision both
 *   S3 listings and HEAD agree on).
 */
import { checkpointCompleteKey, checkpointPrefix, planRound, roundManifestSchema, type PoolPrompt, type RoundManifest } from '@sppo/core';
import type { ObjectEntry } from '../ports.ts';
import type { RunRecord } from '../runs/record.ts';

function toSeconds(iso: string): string {
  const date = new Date(iso);
  date.setUTCMilliseconds(0);
  return date.toISOString();
}

/** The checkpoint a round samples from (and trains against as the frozen reference pi_t). */
export function roundCheckpointKey(record: RunRecord, t: number, objects: readonly ObjectEntry[]): string {
  if (t > 0 || objects.some((o) => o.key === checkpointCompleteKey(record.run_id, 0))) return checkpointPrefix(record.run_id, t);
  return record.config.model_name_or_path;
}

export function roundStartedAt(record: RunRecord, t: number, objects: readonly ObjectEntry[]): string {
  if (t === 0) return toSeconds(record.created_at);
  const marker = objects.find((o) => o.key === checkpointCompleteKey(record.run_id, t));
  // core's advance starts round t only once the listing shows checkpoints/{t}/_COMPLETE (the
  // event alone is not enough); the fallback keeps this total and deterministic anyway.
  return toSeconds(marker?.lastModified ? marker.lastModified : record.created_at);
}

export function buildManifest(record: RunRecord, t: number, pool: readonly PoolPrompt[], objects: readonly ObjectEntry[]): RoundManifest {
  if (pool.length === 0) throw new Error(`run ${record.run_id} has an empty prompt pool: add prompts with POST /v1/runs/{id}/prompts, then resume`);
  const plan = planRound({
    poolSize: pool.length,
    round: t,
    numIterations: record.config.num_iterations,
    promptsPerIteration: record.config.prompts_per_iteration,
    promptsPerShard: record.config.prompts_per_shard,
  });
  return roundManifestSchema.parse({
    run_id: record.run_id,
    round: t,
    checkpoint_key: roundCheckpointKey(record, t, objects),
    shards: plan.map(({ shard, indices }) => ({ shard, prompt_ids: indices.map((i) => pool[i]?.prompt_id ?? `p${i}`) })),
    created_at: roundStartedAt(record, t, objects),
    config: record.config,
  });
}
