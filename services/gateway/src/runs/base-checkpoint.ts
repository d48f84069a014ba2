/**
 * Checkpoint 0 of a run is its base model (core README, "Rounds are 0-based"): when
 * `model_name_or_path` names a folder in the run bucket, the gateway copies it server-side
 * (CopyObject, nothing passes through the gateway) to runs/{run}/checkpoints/0/ and writes
 * `_COMPLETE` last, before run.json and `run.created`. Every round then samples from and trains
 * against runs/{run}/checkpoints/{t}/, and the run keeps its own copy of the base.
 *
 * When nothing is under that prefix in the bucket, the path is taken as a local folder of the
 * machines running the workers (`./sppo up`): nothing is copied and round 0's manifest points at
 * `model_name_or_path` itself (automation/manifest.ts).
 */
import { assertFileName, checkpointCompleteKey, checkpointFileKey, COMPLETE_MARKER, ConfigError } from '@sppo/core';
import type { ApiStore } from '../ports.ts';
import { runBelongsTo } from '../tenants.ts';

/** A relative bucket prefix (not an absolute, home-relative or dot-relative local path). */
export function asBucketPrefix(path: string): string | null {
  if (/^(\/|~|\.\.?\/|[A-Za-z]:\\)/.test(path) || path.includes('\\')) return null;
  const segments = path.replace(/\/+$/, '').split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) return null;
  return `${segments.join('/')}/`;
}

export type BaseCheckpoint = { kind: 'copied'; files: string[] } | { kind: 'local' };

/** Tenancy: run and tenant areas are sources only when they are the caller's own. */
function allowedSource(prefix: string, tenant: string): boolean {
  if (prefix.startsWith('tenants/')) return prefix.startsWith(`tenants/${tenant}/`);
  if (!prefix.startsWith('runs/')) return true;
  const own = /^runs\/([a-z0-9-]+)\/checkpoints\/(0|[1-9][0-9]*)\/$/.exec(prefix);
  return own?.[1] !== undefined && runBelongsTo(own[1], tenant);
}

export async function copyBaseCheckpoint(store: ApiStore, runId: string, modelPath: string, tenant: string): Promise<BaseCheckpoint> {
  const prefix = asBucketPrefix(modelPath);
  if (prefix === null) return { kind: 'local' };
  if (!allowedSource(prefix, tenant)) {
    throw new ConfigError('run config', [
      { path: 'model_name_or_path', message: 'model_name_or_path may name a shared model prefix (e.g. models/base), a folder under your tenant area (tenants/{tenant}/...) or a checkpoint of one of your runs (runs/{run}/checkpoints/{t})' },
    ]);
  }
  const objects = await store.listAll(prefix);
  if (objects.length === 0) return { kind: 'local' };
  const files: string[] = [];
  const nested: string[] = [];
  for (const object of objects) {
    const name = object.key.slice(prefix.length);
    if (name === COMPLETE_MARKER) continue;
    try {
      assertFileName(name);
      files.push(name);
    } catch {
      nested.push(name);
    }
  }
  if (nested.length > 0 || files.length === 0) {
    throw new ConfigError('run config', [
      { path: 'model_name_or_path', message: `${modelPath} must be a flat HF checkpoint folder (config.json, model.safetensors, tokenizer.json, ...); it has ${files.length === 0 ? 'no files' : `sub-folders or odd names: ${nested.slice(0, 5).join(', ')}`}` },
    ]);
  }
  for (const file of files) await store.copy(`${prefix}${file}`, checkpointFileKey(runId, 0, file));
  // _COMPLETE last: without it the checkpoint does not exist (ARCHITECTURE 3.2).
  await store.put(checkpointCompleteKey(runId, 0), `${JSON.stringify({ source: prefix, files })}\n`, 'application/json');
  return { kind: 'copied', files };
}
