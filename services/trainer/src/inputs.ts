/**
 * The inputs of a train task, from the bucket: the round manifest (with the resolved run config)
 * and every triplet shard the manifest lists (every bad line of every shard reported). The
 * reference checkpoint is reference.ts.
 */
import { isNotFound, type ObjectStore } from '@sppo/cloud';
import {
  manifestKey,
  trainingArgsShape,
  trainingTripletRowSchema,
  tripletShardKey,
  type RoundManifest,
  type RunConfig,
  type TrainingArgs,
  type TrainingTripletRow,
  roundManifestSchema,
} from '@sppo/core';
import { PermanentTrainError } from './errors.ts';

export async function readManifest(store: ObjectStore, run: string, round: number): Promise<RoundManifest> {
  try {
    return await store.getJson(manifestKey(run, round), roundManifestSchema);
  } catch (e) {
    if (isNotFound(e)) throw new PermanentTrainError(`round ${round} of run ${run} has no manifest (${manifestKey(run, round)}): the round was never started`);
    throw new PermanentTrainError(`the manifest of round ${round} is invalid: ${(e as Error).message}`);
  }
}

/** The training group of the resolved run config (it composes core's trainingArgsShape). */
export function trainingArgsOf(config: RunConfig): TrainingArgs {
  return Object.fromEntries(Object.keys(trainingArgsShape).flatMap((k) => (k in config ? [[k, config[k as keyof RunConfig]]] : []))) as TrainingArgs;
}

export interface TripletInput {
  rows: TrainingTripletRow[];
  /** Where row i came from, for error messages: `shard=2 line 7`. */
  where: (index: number) => string;
}

/** Every triplet row of the round's shards, in shard order; all bad lines of all shards reported. */
export async function readTriplets(store: ObjectStore, manifest: RoundManifest): Promise<TripletInput> {
  const rows: TrainingTripletRow[] = [];
  const origins: string[] = [];
  const problems: string[] = [];
  for (const { shard } of manifest.shards) {
    const key = tripletShardKey(manifest.run_id, manifest.round, shard);
    try {
      // Only the official training columns are required (core's trainingPairRowSchema).
      for await (const entry of store.iterateJsonl(key, trainingTripletRowSchema)) {
        if (entry.error !== undefined) problems.push(`shard=${shard} line ${entry.line}: ${entry.error}`);
        else {
          rows.push(entry.row as TrainingTripletRow);
          origins.push(`shard=${shard} line ${entry.line}`);
        }
      }
    } catch (e) {
      if (!isNotFound(e)) throw e;
      problems.push(`shard=${shard}: ${key} does not exist (the judge has not written it)`);
    }
  }
  if (problems.length > 0) {
    throw new PermanentTrainError(`invalid triplet shards of round ${manifest.round}: ${problems.length} problem(s)\n  - ${problems.join('\n  - ')}`);
  }
  return { rows, where: (i) => origins[i] ?? `row ${i + 1}` };
}
