/**
 * The reference checkpoint pi_t of a train task (SPPO-REFERENCE 1.3: the frozen policy of round t),
 * as packages/model's Checkpoint:
 *
 * - a checkpoint in the bucket (runs/{run}/checkpoints/{t}/, or another prefix a manifest names)
 *   is downloaded into the local cache only when its `_COMPLETE` exists, and used only when every
 *   file matches that marker (core's parseCompleteMarker: packages/model's record or cloud's upload
 *   manifest, the two forms the gateway writes for checkpoint 0);
 * - round 0 of a run whose base model is a folder on the workers' disk (nothing in the bucket: the
 *   gateway's runs/base-checkpoint.ts and automation/manifest.ts) is loaded from that folder.
 *
 * Every problem with the checkpoint itself (missing, torn, malformed marker, unloadable files) is a
 * PermanentTrainError: a retry reads the same bytes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { downloadFolder, normalizePrefix, type ObjectStore } from '@sppo/cloud';
import {
  CHECKPOINT_RECORD_FORMAT,
  checkpointCompleteKey,
  checkpointPrefix,
  checkpointRecordSchema,
  markerSizeProblems,
  parseCompleteMarker,
  ValidationError,
  type CheckpointRecord,
  type RoundManifest,
} from '@sppo/core';
import { COMPLETE_MARKER, readCheckpoint, type Checkpoint } from '@sppo/model';
import { PermanentTrainError } from './errors.ts';

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * packages/model's readCheckpoint reads any `_COMPLETE` as its own record, so a cached folder whose
 * (checked) marker is cloud's upload manifest gets the record of the very same files instead:
 * sizes from the manifest, sha256 computed here. The new marker replaces the old one by a rename,
 * so another reader of the same cache folder (a generator sharing the cache dir) always finds a
 * valid marker, and both forms pass its size check.
 */
async function upgradeToRecord(dir: string, files: readonly { path: string; bytes: number }[]): Promise<void> {
  const record: CheckpointRecord = { format: CHECKPOINT_RECORD_FORMAT, files: {} };
  for (const { path, bytes } of files) record.files[path] = { bytes, sha256: await sha256Of(join(dir, ...path.split('/'))) };
  const tmp = join(dir, `.${COMPLETE_MARKER}.${randomUUID().slice(0, 8)}.tmp`);
  await writeFile(tmp, `${JSON.stringify(checkpointRecordSchema.parse(record), null, 2)}\n`);
  await rename(tmp, join(dir, COMPLETE_MARKER));
}

/**
 * Checks the folder against its `_COMPLETE` (`where` names the marker in errors): both forms of
 * core's parseCompleteMarker, every recorded file present with its recorded size. An upload
 * manifest is then upgraded to packages/model's record when `upgrade` is true (a folder of the
 * trainer's own cache), which readCheckpoint reads; a folder the trainer does not own is never
 * written to.
 */
export async function verifyCheckpointMarker(dir: string, where: string, { upgrade = true }: { upgrade?: boolean } = {}): Promise<void> {
  const text = await readFile(join(dir, COMPLETE_MARKER), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (text === undefined) throw new PermanentTrainError(`checkpoint ${where} has no ${COMPLETE_MARKER} marker: it is missing or incomplete and must not be used`);
  let marker;
  try {
    marker = parseCompleteMarker(text, where);
  } catch (e) {
    if (e instanceof ValidationError) throw new PermanentTrainError(e.message);
    throw e;
  }
  const sizes = new Map<string, number | undefined>();
  for (const file of marker.files) sizes.set(file.path, await sizeOf(join(dir, ...file.path.split('/'))));
  const problems = markerSizeProblems(marker, (path) => sizes.get(path));
  if (problems.length > 0) {
    throw new PermanentTrainError(`checkpoint ${where} does not match its ${COMPLETE_MARKER} (torn or changed): ${problems.slice(0, 5).join('; ')}; re-create or re-copy the checkpoint`);
  }
  if (marker.kind === 'record') return;
  if (!upgrade) {
    throw new PermanentTrainError(
      `checkpoint ${where} has cloud's upload manifest as ${COMPLETE_MARKER}, which the trainer reads only in its own cache; ` +
        `remove ${COMPLETE_MARKER} there (the folder is then read as a plain HF folder) or upload the folder to the bucket`,
    );
  }
  await upgradeToRecord(dir, marker.files);
}

async function load(dir: string, where: string, requireComplete: boolean): Promise<Checkpoint> {
  try {
    return await readCheckpoint(dir, { requireComplete });
  } catch (e) {
    throw new PermanentTrainError(`checkpoint ${where} cannot be loaded: ${(e as Error).message}`);
  }
}

/** A bucket folder with `_COMPLETE`, downloaded whole into `local` (reused when cached), checked and loaded. */
async function fetchFromBucket(store: ObjectStore, prefix: string, local: string): Promise<Checkpoint> {
  await downloadFolder(store, prefix, local, { requireFile: COMPLETE_MARKER, ifExists: 'reuse' });
  await verifyCheckpointMarker(local, `${prefix}${COMPLETE_MARKER}`);
  return load(local, prefix, true);
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
  return fetchFromBucket(store, checkpointPrefix(run, t), join(cacheDir, 'runs', run, 'checkpoints', String(t)));
}

/**
 * The reference checkpoint of the manifest's round: its `checkpoint_key`, which is
 * runs/{run}/checkpoints/{t}/ except for round 0 of a run whose base model was not copied into
 * the bucket (then `model_name_or_path`: another bucket prefix with `_COMPLETE`, or a folder on
 * this machine's disk, relative to the working directory).
 */
export async function fetchReferenceCheckpoint(store: ObjectStore, manifest: RoundManifest, cacheDir: string): Promise<Checkpoint> {
  const { run_id: run, round: t, checkpoint_key: key } = manifest;
  if (normalizePrefix(key) === checkpointPrefix(run, t)) return fetchCheckpoint(store, run, t, cacheDir);
  const segments = key.split('/').filter((s) => s !== '');
  if (!isAbsolute(key) && !segments.some((s) => s === '.' || s === '..') && (await store.exists(`${normalizePrefix(key)}${COMPLETE_MARKER}`))) {
    return fetchFromBucket(store, normalizePrefix(key), join(cacheDir, 'bucket', ...segments));
  }
  const dir = resolve(key);
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) {
    throw new PermanentTrainError(
      `the reference checkpoint "${key}" of round ${t} does not exist: s3://${store.bucket}/${normalizePrefix(key)}${COMPLETE_MARKER} is missing and ${dir} is not a folder on this machine. ` +
        'A base model outside the bucket must be a folder on every worker machine (same path); check model_name_or_path.',
    );
  }
  // The user's own folder (a plain HF folder, or one with a marker): a marker there is checked,
  // and the folder is never written to.
  const hasMarker = (await sizeOf(join(dir, COMPLETE_MARKER))) !== undefined;
  if (hasMarker) await verifyCheckpointMarker(dir, join(dir, COMPLETE_MARKER), { upgrade: false });
  return load(dir, dir, hasMarker);
}
