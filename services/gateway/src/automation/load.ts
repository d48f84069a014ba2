/**
 * Derives a run's state from S3 (core's deriveRunState): run.json for num_iterations and the shard
 * count, status.json for the status, and ONE listing of runs/{run}/ for everything else (manifests,
 * shards, enqueued markers, checkpoint _COMPLETE markers, failure records). S3 listings are
 * strongly consistent, so a shard written before its event was sent is always seen.
 */
import { deriveRunState, runPrefix, type RunState, type RunStatusRecord } from '@sppo/core';
import type { ObjectEntry, RunStore } from '../ports.ts';
import { readPool } from '../runs/prompts.ts';
import { evalShardCount, readEvalPool } from './evaluation.ts';
import { readRunRecord, readStatus, shardsPerRound, type RunRecord } from '../runs/record.ts';

export interface LoadedRun {
  record: RunRecord;
  status: RunStatusRecord | null;
  /** Every object under runs/{run}/ with its size and modification time. */
  objects: ObjectEntry[];
  shardCount: number;
  /** Shards of the evaluation prompts; 0 when the run has no evaluation (issue 21). */
  evalShardCount: number;
  state: RunState;
}

/** The run's record, listing and derived state; null when runs/{run}/run.json does not exist. */
export async function loadRun(store: RunStore, runId: string): Promise<LoadedRun | null> {
  const [record, status, objects] = await Promise.all([readRunRecord(store, runId), readStatus(store, runId), store.listAll(runPrefix(runId))]);
  if (record === null) return null;
  // run.json written by the gateway has prompts_per_iteration resolved (> 0); a record written by
  // other tools may keep 0, which means "pool size / num_iterations".
  const poolSize = record.config.prompts_per_iteration > 0 ? record.config.prompts_per_iteration : (await readPool(store, runId)).length;
  const shardCount = shardsPerRound(record.config, poolSize);
  // run.json written by the gateway records the evaluation prompts' count; otherwise count them.
  const evalCount = record.eval_prompt_count ?? (await readEvalPool(store, record.config)).length;
  const evalShards = evalShardCount(record.config, evalCount);
  const state = deriveRunState({
    runId,
    keys: objects.map((o) => o.key),
    numIterations: record.config.num_iterations,
    shardCount,
    ...(status === null ? {} : { status: status.status }),
    evalShardCount: evalShards,
    evalEvery: record.config.eval_every,
  });
  return { record, status, objects, shardCount, evalShardCount: evalShards, state };
}
