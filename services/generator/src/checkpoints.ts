/**
 * The round's checkpoint on local disk, and the engines that run it.
 *
 * A manifest's checkpoint_key is an S3 prefix (runs/{run}/checkpoints/{t}/, or a base model
 * prefix) whose `_COMPLETE` marker exists, or, for round 0 of a run whose base model is a local
 * folder, that folder's path (see the gateway's automation/manifest.ts). S3 checkpoints are
 * downloaded once into the cache (downloadFolder renames a finished temp folder into place, so
 * the cache never holds half a checkpoint) and reused: checkpoints never change once complete.
 * Before use, the folder is checked against its `_COMPLETE` (core's parseCompleteMarker: packages/
 * model's record or cloud's upload manifest, the forms the gateway and the trainer write); a
 * malformed marker or a torn folder is a permanent error, never retried.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { isNotFound, normalizePrefix, type ObjectStore } from '@sppo/cloud';
import { COMPLETE_MARKER, markerSizeProblems, parseCompleteMarker, ValidationError } from '@sppo/core';
import { createParallelSamplingEngine, type SamplingEngine } from '@sppo/model';
import { PermanentGenerateError } from './errors.ts';

export interface CheckpointSource {
  store: ObjectStore;
  cacheDir: string;
}

/** Files enough to render prompts (the 'openai' backend needs no weights). */
export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja', 'config.json', 'generation_config.json'] as const;

function cachePath(cacheDir: string, prefix: string, suffix = ''): string {
  const parts = prefix.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '..' || p === '.')) throw new PermanentGenerateError(`checkpoint key "${prefix}" has "." or ".." segments`);
  return join(resolve(cacheDir), ...parts) + suffix;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isDirectory(), () => false);
}

async function inBucket(store: ObjectStore, key: string): Promise<boolean> {
  return !isAbsolute(key) && (await store.exists(`${normalizePrefix(key)}${COMPLETE_MARKER}`));
}

function missing(key: string, store: ObjectStore): PermanentGenerateError {
  return new PermanentGenerateError(
    `checkpoint "${key}" does not exist: s3://${store.bucket}/${normalizePrefix(key)}${COMPLETE_MARKER} is missing and it is not a local folder. ` +
      'A checkpoint exists only once its _COMPLETE marker is written; check model_name_or_path or the previous round.',
  );
}

async function sizeOf(path: string): Promise<number | undefined> {
  return stat(path).then((s) => (s.isFile() ? s.size : undefined), () => undefined);
}

/**
 * Checks `dir` against its `_COMPLETE` (`where` names the checkpoint in errors): every recorded
 * file present with its recorded size. A folder without a marker passes only when `required` is
 * false (a plain HF folder on the workers' disk).
 */
export async function verifyCheckpointFolder(dir: string, where: string, { required = true }: { required?: boolean } = {}): Promise<void> {
  const text = await readFile(join(dir, COMPLETE_MARKER), 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (text === undefined) {
    if (required) throw new PermanentGenerateError(`checkpoint ${where} has no ${COMPLETE_MARKER} marker: it is incomplete and must not be used`);
    return;
  }
  let marker;
  try {
    marker = parseCompleteMarker(text, `${where}${COMPLETE_MARKER}`);
  } catch (e) {
    if (e instanceof ValidationError) throw new PermanentGenerateError(e.message);
    throw e;
  }
  const sizes = new Map<string, number | undefined>();
  for (const file of marker.files) sizes.set(file.path, await sizeOf(join(dir, ...file.path.split('/'))));
  const problems = markerSizeProblems(marker, (path) => sizes.get(path));
  if (problems.length > 0) {
    throw new PermanentGenerateError(`checkpoint ${where} does not match its ${COMPLETE_MARKER} (torn or changed): ${problems.slice(0, 5).join('; ')}; re-create or re-copy the checkpoint`);
  }
}

/** A local folder holding the whole checkpoint (downloaded when it lives in the bucket), checked against its `_COMPLETE`. */
export async function localCheckpoint({ store, cacheDir }: CheckpointSource, key: string): Promise<string> {
  if (await inBucket(store, key)) {
    const target = cachePath(cacheDir, key);
    let dir: string;
    try {
      dir = (await store.downloadFolder(key, target, { requireFile: COMPLETE_MARKER, ifExists: 'reuse' })).dir;
    } catch (e) {
      if (isNotFound(e)) throw missing(key, store);
      throw e;
    }
    await verifyCheckpointFolder(dir, normalizePrefix(key));
    return dir;
  }
  if (await isDirectory(key)) {
    await verifyCheckpointFolder(resolve(key), `${resolve(key)}/`, { required: false });
    return resolve(key);
  }
  throw missing(key, store);
}

/** A local folder with the checkpoint's tokenizer and config files only. */
export async function localTokenizerFolder({ store, cacheDir }: CheckpointSource, key: string): Promise<string> {
  if (await inBucket(store, key)) {
    const target = cachePath(cacheDir, key, '.tokenizer');
    await mkdir(target, { recursive: true });
    const base = normalizePrefix(key);
    for (const file of TOKENIZER_FILES) {
      try {
        await writeFile(join(target, file), await store.getBytes(`${base}${file}`));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return target;
  }
  if (await isDirectory(key)) return resolve(key);
  throw missing(key, store);
}

export interface EnginePool {
  /** The engine for a checkpoint folder; loading another folder closes the least recent one. */
  get(dir: string, executionProvider: string): Promise<SamplingEngine>;
  /** Closes and forgets an engine (e.g. after its worker thread died), so the next get reloads it. */
  evict(engine: SamplingEngine): Promise<void>;
  close(): Promise<void>;
}

export interface EnginePoolOptions {
  /** Default: engine replicas in worker threads (one per core on 'cpu'; see createParallelSamplingEngine). */
  createEngine?: (dir: string, executionProvider: string) => Promise<SamplingEngine>;
  /** Replicas for the default createEngine (default: one per core on 'cpu', 1 elsewhere). */
  replicas?: number;
  /** Engines kept loaded (a worker usually serves one round's checkpoint at a time). */
  maxEngines?: number;
}

export function createEnginePool({
  replicas,
  createEngine = (dir, executionProvider) =>
    createParallelSamplingEngine({ modelDir: dir, executionProvider, requireComplete: false, ...(replicas === undefined ? {} : { replicas }) }),
  maxEngines = 1,
}: EnginePoolOptions = {}): EnginePool {
  const engines = new Map<string, Promise<SamplingEngine>>();
  return {
    async get(dir, executionProvider) {
      const key = `${executionProvider}\u0000${dir}`;
      let engine = engines.get(key);
      if (engine === undefined) {
        while (engines.size >= maxEngines) {
          const [oldestKey, oldest] = engines.entries().next().value as [string, Promise<SamplingEngine>];
          engines.delete(oldestKey);
          await oldest.then((e) => e.close()).catch(() => undefined);
        }
        engine = createEngine(dir, executionProvider);
        engines.set(key, engine);
        engine.catch(() => engines.delete(key));
      } else {
        // Most recently used last.
        engines.delete(key);
        engines.set(key, engine);
      }
      return engine;
    },
    async evict(engine) {
      for (const [key, candidate] of engines) {
        if ((await candidate.catch(() => undefined)) === engine) {
          engines.delete(key);
          await engine.close().catch(() => undefined);
        }
      }
    },
    async close() {
      const all = [...engines.values()];
      engines.clear();
      await Promise.all(all.map((e) => e.then((x) => x.close()).catch(() => undefined)));
    },
  };
}
