/**
 * Checkpoint 0 of a run is its base model (core README, "Rounds are 0-based"): when
 * `model_name_or_path` names a folder in the run bucket, the gateway copies it server-side
 * (CopyObject, nothing passes through the gateway) to runs/{run}/checkpoints/0/ and writes
 * `_COMPLETE` last, before run.json and `run.created`. Every round then samples from and trains
 * against runs/{run}/checkpoints/{t}/, and the run keeps its own copy of the base.
 *
 * The marker is one every reader accepts (core's parseCompleteMarker, used by the trainer and the
 * generator): the source folder's own `_COMPLETE` copied verbatim when it has one (packages/model's
 * record with sizes and sha256, or cloud's upload manifest), else cloud's upload manifest
 * `{ files: [{ path, size }] }` built from the listing's sizes (a sha256 would mean reading every
 * byte of the model through the gateway).
 *
 * Two steps, so that a refused source leaves nothing behind: planBaseCheckpoint only reads
 * (tenancy, listing, the source's marker) and throws ConfigError; copyBaseCheckpoint writes.
 *
 * When nothing is under that prefix in the bucket, the path is taken as a local folder of the
 * machines running the workers (`./sppo up`): nothing is copied and round 0's manifest points at
 * `model_name_or_path` itself (automation/manifest.ts); the generator and the trainer both load it
 * from their own disk.
 */
import {
  assertFileName,
  checkpointCompleteKey,
  checkpointFileKey,
  COMPLETE_MARKER,
  ConfigError,
  formatUploadManifest,
  markerSizeProblems,
  parseCompleteMarker,
  ValidationError,
} from '@sppo/core';
import type { ApiStore, RunStore } from '../ports.ts';
import { runBelongsTo } from '../tenants.ts';

/** A relative bucket prefix (not an absolute, home-relative or dot-relative local path). */
export function asBucketPrefix(path: string): string | null {
  if (/^(\/|~|\.\.?\/|[A-Za-z]:\\)/.test(path) || path.includes('\\')) return null;
  const segments = path.replace(/\/+$/, '').split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return null;
  return `${segments.join('/')}/`;
}

/** What createRun will do for checkpoint 0, decided before anything is written. */
export type BaseCheckpointPlan =
  | { kind: 'copy'; prefix: string; files: string[]; marker: string; markerSource: 'source' | 'listing' }
  | { kind: 'local' };

export type BaseCheckpoint = { kind: 'copied'; files: string[] } | { kind: 'local' };

/** Tenancy: run and tenant areas are sources only when they are the caller's own. */
function allowedSource(prefix: string, tenant: string): boolean {
  if (prefix.startsWith('tenants/')) return prefix.startsWith(`tenants/${tenant}/`);
  if (!prefix.startsWith('runs/')) return true;
  const own = /^runs\/([a-z0-9-]+)\/checkpoints\/(0|[1-9][0-9]*)\/$/.exec(prefix);
  return own?.[1] !== undefined && runBelongsTo(own[1], tenant);
}

function refuse(message: string): ConfigError {
  return new ConfigError('run config', [{ path: 'model_name_or_path', message }]);
}

/** The source's own marker, checked against the listing; a torn or foreign marker is the user's 400. */
async function sourceMarker(store: RunStore, modelPath: string, key: string, sizes: ReadonlyMap<string, number>): Promise<string> {
  const text = await store.getText(key);
  if (text === null) throw refuse(`${modelPath}: its ${COMPLETE_MARKER} vanished while the run was being created; retry`);
  let problems: string[];
  try {
    problems = markerSizeProblems(parseCompleteMarker(text, key), (path) => sizes.get(path));
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw refuse(`${modelPath} has an unreadable ${COMPLETE_MARKER}: ${error.issues.map((issue) => `${issue.path || '(root)'} ${issue.message}`).join('; ')}. Re-upload the folder with its marker last, or remove the marker to copy it as a plain HF folder`);
  }
  if (problems.length > 0) {
    throw refuse(`${modelPath} does not match its ${COMPLETE_MARKER} (a torn or changed upload): ${problems.slice(0, 5).join('; ')}. Re-upload the folder, ${COMPLETE_MARKER} last`);
  }
  return text;
}

/** Reads and validates the source of checkpoint 0 (no writes); throws ConfigError for a 400. */
export async function planBaseCheckpoint(store: RunStore, modelPath: string, tenant: string): Promise<BaseCheckpointPlan> {
  const prefix = asBucketPrefix(modelPath);
  if (prefix === null) return { kind: 'local' };
  if (!allowedSource(prefix, tenant)) {
    throw refuse('model_name_or_path may name a shared model prefix (e.g. models/base), a folder under your tenant area (tenants/{tenant}/...) or a checkpoint of one of your runs (runs/{run}/checkpoints/{t})');
  }
  const objects = await store.listAll(prefix);
  if (objects.length === 0) return { kind: 'local' };
  const files: string[] = [];
  const nested: string[] = [];
  const sizes = new Map<string, number>();
  let hasMarker = false;
  for (const object of objects) {
    const name = object.key.slice(prefix.length);
    if (name === COMPLETE_MARKER) {
      hasMarker = true;
      continue;
    }
    try {
      assertFileName(name);
      files.push(name);
      sizes.set(name, object.size);
    } catch {
      nested.push(name);
    }
  }
  if (nested.length > 0 || files.length === 0) {
    throw refuse(`${modelPath} must be a flat HF checkpoint folder (config.json, model.safetensors, tokenizer.json, ...); it has ${files.length === 0 ? 'no files' : `sub-folders or odd names: ${nested.slice(0, 5).join(', ')}`}`);
  }
  if (hasMarker) return { kind: 'copy', prefix, files, marker: await sourceMarker(store, modelPath, `${prefix}${COMPLETE_MARKER}`, sizes), markerSource: 'source' };
  return { kind: 'copy', prefix, files, marker: formatUploadManifest(files.map((path) => ({ path, size: sizes.get(path) ?? 0 }))), markerSource: 'listing' };
}

/** Executes a plan: the files, then `_COMPLETE` last (without it the checkpoint does not exist: ARCHITECTURE 3.2). */
export async function copyBaseCheckpoint(store: ApiStore, runId: string, plan: BaseCheckpointPlan): Promise<BaseCheckpoint> {
  if (plan.kind === 'local') return { kind: 'local' };
  for (const file of plan.files) await store.copy(`${plan.prefix}${file}`, checkpointFileKey(runId, 0, file));
  await store.put(checkpointCompleteKey(runId, 0), plan.marker, 'application/json');
  return { kind: 'copied', files: plan.files };
}
