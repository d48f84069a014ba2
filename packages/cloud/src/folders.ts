// Whole-folder transfer for checkpoint folders (ARCHITECTURE 3.2 / 3.4): a checkpoint exists only
// once its `_COMPLETE` marker does, so the marker is written LAST, after every other file's PUT
// has returned (S3 is strongly read-after-write consistent, so a reader that sees the marker sees
// every file). Downloads land in a temp folder that is renamed into place, so a local cache never
// holds half a checkpoint.
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mapWithConcurrency } from './concurrency.ts';
import { NotFoundError } from './errors.ts';
import type { ObjectStore } from './object-store.ts';

export interface UploadFolderOptions {
  /**
   * A file name (relative to the folder) uploaded after every other file succeeded. If the folder
   * has no such file, a JSON list of the uploaded files and their sizes is written under that name.
   */
  lastFile?: string;
  concurrency?: number;
}

export interface DownloadFolderOptions {
  /** Refuse to download unless this object exists under the prefix (e.g. '_COMPLETE'). */
  requireFile?: string;
  /** When `dir` already exists: 'replace' it with a fresh download, or 'reuse' it as a cache hit. */
  ifExists?: 'replace' | 'reuse';
  concurrency?: number;
}

const CONTENT_TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.jsonl': 'application/x-ndjson',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
};

function contentTypeOf(path: string): string {
  const dot = path.lastIndexOf('.');
  return (dot >= 0 ? CONTENT_TYPES[path.slice(dot).toLowerCase()] : undefined) ?? 'application/octet-stream';
}

/** 'a/b' and 'a/b/' both become 'a/b/'; '' stays '' (the bucket root). */
export function normalizePrefix(prefix: string): string {
  return prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
}

/** Every regular file under `dir`, as '/'-separated relative paths in sorted order. */
export async function listLocalFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(resolve(dir).length + 1).split(sep).join('/'))
    .sort();
}

export async function uploadFolder(
  store: ObjectStore,
  dir: string,
  prefix: string,
  { lastFile, concurrency = 4 }: UploadFolderOptions = {},
): Promise<{ keys: string[] }> {
  const root = resolve(dir);
  const base = normalizePrefix(prefix);
  let files: string[];
  try {
    files = await listLocalFiles(root);
  } catch (error) {
    throw new Error(`uploadFolder: cannot read folder ${root}: ${(error as Error).message}`, { cause: error });
  }
  const body = lastFile === undefined ? files : files.filter((f) => f !== lastFile);
  const sizes = await mapWithConcurrency(body, concurrency, async (file) => {
    await store.putFile(`${base}${file}`, join(root, file), { contentType: contentTypeOf(file) });
    return (await stat(join(root, file))).size;
  });
  const keys = body.map((f) => `${base}${f}`);
  if (lastFile !== undefined) {
    // Only now, with every PUT above acknowledged, does the marker go up.
    if (files.includes(lastFile)) {
      await store.putFile(`${base}${lastFile}`, join(root, lastFile), { contentType: contentTypeOf(lastFile) });
    } else {
      const manifest = { files: body.map((path, i) => ({ path, size: sizes[i] })) };
      await store.put(`${base}${lastFile}`, `${JSON.stringify(manifest)}\n`, { contentType: 'application/json' });
    }
    keys.push(`${base}${lastFile}`);
  }
  return { keys };
}

function safeRelativePath(relative: string, key: string): string {
  const parts = relative.split('/');
  if (relative.startsWith('/') || parts.some((p) => p === '..' || p === '.')) {
    throw new Error(`downloadFolder: refusing object key "${key}": its path escapes the target folder`);
  }
  return parts.join(sep);
}

async function pathExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function downloadFolder(
  store: ObjectStore,
  prefix: string,
  dir: string,
  { requireFile, ifExists = 'replace', concurrency = 4 }: DownloadFolderOptions = {},
): Promise<{ dir: string; files: string[] }> {
  const base = normalizePrefix(prefix);
  const target = resolve(dir);
  if (ifExists === 'reuse' && (await pathExists(target))) return { dir: target, files: await listLocalFiles(target) };
  if (requireFile !== undefined && !(await store.exists(`${base}${requireFile}`))) {
    throw new NotFoundError(store.bucket, `${base}${requireFile}`, `the folder s3://${store.bucket}/${base} is not complete yet`);
  }
  const objects = (await store.list(base)).filter((o) => o.key.length > base.length && !o.key.endsWith('/'));
  if (objects.length === 0) throw new NotFoundError(store.bucket, base, 'no objects under this prefix');

  await mkdir(dirname(target), { recursive: true });
  // Same parent folder as the target, so the final rename stays on one filesystem (atomic).
  const temp = join(dirname(target), `.${basename(target)}.partial-${randomUUID().slice(0, 8)}`);
  const files = objects.map((o) => o.key.slice(base.length));
  try {
    await mapWithConcurrency(objects, concurrency, async (object, i) => {
      const destination = join(temp, safeRelativePath(files[i] as string, object.key));
      await mkdir(dirname(destination), { recursive: true });
      await pipeline(Readable.from(await store.getStream(object.key)), createWriteStream(destination));
    });
    await moveIntoPlace(temp, target, ifExists);
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
  return { dir: target, files: ifExists === 'reuse' ? await listLocalFiles(target) : files.sort() };
}

async function moveIntoPlace(temp: string, target: string, ifExists: 'replace' | 'reuse'): Promise<void> {
  try {
    await rename(temp, target);
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EISDIR') throw error;
  }
  // The target appeared meanwhile (another process finished the same download first).
  if (ifExists === 'reuse') {
    await rm(temp, { recursive: true, force: true });
    return;
  }
  const trash = `${temp}.old`;
  await rename(target, trash);
  await rename(temp, target);
  await rm(trash, { recursive: true, force: true });
}
