import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3Client } from './clients.ts';
import { NotFoundError } from './errors.ts';
import { createObjectStore, type ObjectStore } from './object-store.ts';
import { startTestCloud, type TestCloud } from './test-cloud.ts';

let cloud: TestCloud;
let store: ObjectStore;
let events: string[];
let work: string;

beforeAll(async () => {
  cloud = await startTestCloud();
  const client = createS3Client(cloud.config);
  events = [];
  // Observe when each PUT starts and when S3 acknowledged it (the requests still go out for real).
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: string }).Key ?? '';
      if (context.commandName === 'PutObjectCommand') events.push(`start ${key}`);
      const out = await next(args);
      if (context.commandName === 'PutObjectCommand') events.push(`end ${key}`);
      return out;
    },
    { step: 'initialize' },
  );
  store = createObjectStore(cloud.config, { client, folderConcurrency: 3 });
  work = await mkdtemp(join(tmpdir(), 'sppo-cloud-folders-'));
});
afterAll(async () => {
  await cloud.stop();
  await rm(work, { recursive: true, force: true });
});

async function makeCheckpoint(dir: string, withMarker: boolean): Promise<void> {
  await mkdir(join(dir, 'onnx'), { recursive: true });
  await writeFile(join(dir, 'config.json'), '{"model_type":"llama"}');
  await writeFile(join(dir, 'model.safetensors'), Buffer.alloc(64 * 1024, 7));
  await writeFile(join(dir, 'tokenizer.json'), '{}');
  await writeFile(join(dir, 'onnx', 'model.onnx'), Buffer.alloc(1000, 1));
  if (withMarker) await writeFile(join(dir, '_COMPLETE'), 'done\n');
}

describe('folders', () => {
  it('uploads a checkpoint folder with the marker last, after every other PUT returned', async () => {
    const dir = join(work, 'ckpt1');
    await makeCheckpoint(dir, true);
    events.length = 0;
    const { keys } = await store.uploadFolder(dir, 'runs/r/checkpoints/1', { lastFile: '_COMPLETE' });
    expect(keys.at(-1)).toBe('runs/r/checkpoints/1/_COMPLETE');
    expect(keys.slice(0, -1).sort()).toEqual(
      ['config.json', 'model.safetensors', 'onnx/model.onnx', 'tokenizer.json'].map((f) => `runs/r/checkpoints/1/${f}`),
    );
    const markerStart = events.indexOf('start runs/r/checkpoints/1/_COMPLETE');
    const lastOtherEnd = Math.max(...keys.slice(0, -1).map((k) => events.indexOf(`end ${k}`)));
    expect(markerStart).toBeGreaterThan(lastOtherEnd);
    expect(events.at(-1)).toBe('end runs/r/checkpoints/1/_COMPLETE');
    expect(await store.getText('runs/r/checkpoints/1/_COMPLETE')).toBe('done\n');
  });

  it('writes a file list as the marker when the folder has none', async () => {
    const dir = join(work, 'ckpt2');
    await makeCheckpoint(dir, false);
    await store.uploadFolder(dir, 'runs/r/checkpoints/2/', { lastFile: '_COMPLETE' });
    expect(await store.getJson('runs/r/checkpoints/2/_COMPLETE')).toEqual({
      files: [
        { path: 'config.json', size: 22 },
        { path: 'model.safetensors', size: 65536 },
        { path: 'onnx/model.onnx', size: 1000 },
        { path: 'tokenizer.json', size: 2 },
      ],
    });
  });

  it('downloads a prefix into a local cache atomically, leaving no temp folder behind', async () => {
    const cache = join(work, 'cache');
    const target = join(cache, 'r', '1');
    const { files } = await store.downloadFolder('runs/r/checkpoints/1', target, { requireFile: '_COMPLETE' });
    expect(files).toEqual(['_COMPLETE', 'config.json', 'model.safetensors', 'onnx/model.onnx', 'tokenizer.json']);
    expect(await readFile(join(target, 'model.safetensors'))).toEqual(Buffer.alloc(64 * 1024, 7));
    expect(await readFile(join(target, 'onnx', 'model.onnx'))).toEqual(Buffer.alloc(1000, 1));
    expect(await readdir(join(cache, 'r'))).toEqual(['1']);

    // 'reuse' treats an existing folder as a cache hit; 'replace' (default) downloads afresh.
    await writeFile(join(target, 'config.json'), 'local edit');
    await store.downloadFolder('runs/r/checkpoints/1', target, { ifExists: 'reuse' });
    expect(await readFile(join(target, 'config.json'), 'utf8')).toBe('local edit');
    await store.downloadFolder('runs/r/checkpoints/1', target);
    expect(await readFile(join(target, 'config.json'), 'utf8')).toBe('{"model_type":"llama"}');
    expect(await readdir(join(cache, 'r'))).toEqual(['1']);
  });

  it('refuses an incomplete checkpoint and an empty prefix without creating the folder', async () => {
    await store.put('runs/r/checkpoints/3/config.json', '{}');
    const target = join(work, 'cache', 'r', '3');
    const error = await store.downloadFolder('runs/r/checkpoints/3', target, { requireFile: '_COMPLETE' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).key).toBe('runs/r/checkpoints/3/_COMPLETE');
    await expect(store.downloadFolder('runs/none', target)).rejects.toThrow(/runs\/none\/ does not exist: no objects/);
    await expect(readdir(target)).rejects.toThrow(/ENOENT/);
  });
});
