/**
 * The inputs of a train task, from the bucket: the round manifest (with the resolved run config),
 * checkpoint t (downloaded to a local cache, used only with its `_COMPLETE` marker) and every
 * triplet shard the manifest lists (every bad line of every shard reported).
 */
import { readFile, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { downloadFolder, isNotFound, type ObjectStore } from '@sppo/cloud';
import {
  checkpointCompleteKey,
  checkpointPrefix,
  manifestKey,
  trainingArgsShape,
  tripletRowSchema,
  tripletShardKey,
  type RoundManifest,
  type RunConfig,
  type TrainingArgs,
  type TripletRow,
  roundManifestSchema,
} from '@sppo/core';
import { COMPLETE_MARKER, readCheckpoint, type Checkpoint } from '@sppo/model';
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

/**
 * Checkpoint t in the local cache ({cacheDir}/runs/{run}/checkpoints/{t}), downloaded only when
 * its `_COMPLETE` exists and moved into place whole, so a cached folder is always complete.
 */
export async function fetchCheckpoint(store: ObjectStore, run: string, t: number, cacheDir: string): Promise<Checkpoint> {
  if (!(await store.exists(checkpointCompleteKey(run, t)))) {
    throw new PermanentTrainError(
      `the reference checkpoint ${checkpointPrefix(run, t)} has no ${COMPLETE_MARKER} marker: it is missing or incomplete and must not be used ` +
        `(checkpoint ${t} is written by ${t === 0 ? 'the gateway when the run is created' : `round ${t - 1}'s trainer`})`,
    );
  }
  const local = join(cacheDir, 'runs', run, 'checkpoints', String(t));
  await downloadFolder(store, checkpointPrefix(run, t), local, { requireFile: COMPLETE_MARKER, ifExists: 'reuse' });
  await adoptUploadManifest(local);
  try {
    return await readCheckpoint(local);
  } catch (e) {
    throw new PermanentTrainError(`checkpoint ${checkpointPrefix(run, t)} cannot be loaded: ${(e as Error).message}`);
  }
}

/**
 * A checkpoint uploaded from a plain HF folder gets cloud's uploadFolder manifest as `_COMPLETE`
 * ({files: [{path, size}]}) instead of writeCheckpoint's record; check its sizes here and keep it
 * under another name so readCheckpoint reads the folder as a plain (complete) HF folder.
 */
async function adoptUploadManifest(dir: string): Promise<void> {
  const marker = JSON.parse(await readFile(join(dir, COMPLETE_MARKER), 'utf8')) as { format?: string; files?: unknown };
  if (marker.format !== undefined || !Array.isArray(marker.files)) return;
  for (const f of marker.files as { path: string; size: number }[]) {
    const size = await stat(join(dir, f.path)).then((s) => s.size, () => -1);
    if (size !== f.size) throw new PermanentTrainError(`checkpoint file ${f.path} has ${size} bytes, its upload manifest says ${f.size}`);
  }
  await rename(join(dir, COMPLETE_MARKER), join(dir, `${COMPLETE_MARKER}.upload.json`));
}

export interface TripletInput {
  rows: TripletRow[];
  /** Where row i came from, for error messages: `shard=2 line 7`. */
  where: (index: number) => string;
}

/** Every triplet row of the round's shards, in shard order; all bad lines of all shards reported. */
export async function readTriplets(store: ObjectStore, manifest: RoundManifest): Promise<TripletInput> {
  const rows: TripletRow[] = [];
  const origins: string[] = [];
  const problems: string[] = [];
  for (const { shard } of manifest.shards) {
    const key = tripletShardKey(manifest.run_id, manifest.round, shard);
    try {
      for await (const entry of store.iterateJsonl(key, tripletRowSchema)) {
        if (entry.error !== undefined) problems.push(`shard=${shard} line ${entry.line}: ${entry.error}`);
        else {
          rows.push(entry.row as TripletRow);
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
