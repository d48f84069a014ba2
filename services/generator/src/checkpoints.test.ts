import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUploadManifest } from '@sppo/core';
import type { SamplingEngine } from '@sppo/model';
import { createEnginePool, verifyCheckpointFolder } from './checkpoints.ts';
import { isPermanent, PermanentGenerateError } from './errors.ts';

/** The pool's bookkeeping only: engines are stand-ins that record their own closing. */
function fakeEngines() {
  const made: { dir: string; closed: boolean }[] = [];
  const createEngine = async (dir: string): Promise<SamplingEngine> => {
    const record = { dir, closed: false };
    made.push(record);
    return {
      info: { name: dir } as SamplingEngine['info'],
      generate: async () => [],
      close: async () => {
        record.closed = true;
      },
    };
  };
  return { made, createEngine };
}

describe('engine pool', () => {
  it('reuses an engine per (folder, provider) and closes the least recently used past maxEngines', async () => {
    const { made, createEngine } = fakeEngines();
    const pool = createEnginePool({ createEngine, maxEngines: 2 });
    const a = await pool.get('a', 'cpu');
    expect(await pool.get('a', 'cpu')).toBe(a);
    await pool.get('b', 'cpu');
    await pool.get('a', 'cpu'); // a is now the most recent
    await pool.get('c', 'cpu');
    expect(made.map((m) => [m.dir, m.closed])).toEqual([['a', false], ['b', true], ['c', false]]);
    await pool.close();
    expect(made.every((m) => m.closed)).toBe(true);
  });

  it('reloads an evicted engine on the next get', async () => {
    const { made, createEngine } = fakeEngines();
    const pool = createEnginePool({ createEngine });
    const first = await pool.get('a', 'cpu');
    await pool.evict(first);
    const second = await pool.get('a', 'cpu');
    expect(second).not.toBe(first);
    expect(made.map((m) => m.closed)).toEqual([true, false]);
    await pool.close();
  });
});

describe('verifyCheckpointFolder (the _COMPLETE forms every reader accepts)', () => {
  let root: string;
  let n = 0;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sppo-generator-ck-'));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));
  async function folder(files: Record<string, string>): Promise<string> {
    const dir = join(root, `f${n++}`);
    await mkdir(dir);
    for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
    return dir;
  }
  async function rejection(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
      () => {
        throw new Error('expected a rejection');
      },
      (e: unknown) => e as Error,
    );
  }

  it("accepts packages/model's record and cloud's upload manifest when the files match", async () => {
    const record = JSON.stringify({ format: 'sppo-checkpoint/1', files: { 'config.json': { bytes: 2, sha256: 'c'.repeat(64) } } });
    await expect(verifyCheckpointFolder(await folder({ 'config.json': '{}', _COMPLETE: record }), 'ck/')).resolves.toBeUndefined();
    const upload = formatUploadManifest([{ path: 'config.json', size: 2 }]);
    await expect(verifyCheckpointFolder(await folder({ 'config.json': '{}', _COMPLETE: upload }), 'ck/')).resolves.toBeUndefined();
    // A plain HF folder on the workers' disk has no marker.
    await expect(verifyCheckpointFolder(await folder({ 'config.json': '{}' }), 'ck/', { required: false })).resolves.toBeUndefined();
  });

  it('a malformed marker, a torn folder or a missing marker is a permanent error', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'config.json': '{}', _COMPLETE: JSON.stringify({ source: 'models/tiny/', files: ['config.json'] }) }, /checkpoint marker ck\/_COMPLETE[\s\S]*upload manifest/],
      [{ 'config.json': '{}', _COMPLETE: '' }, /not valid JSON/],
      [{ 'config.json': '{"a":1}', _COMPLETE: formatUploadManifest([{ path: 'config.json', size: 2 }]) }, /config.json has 7 bytes but _COMPLETE records 2/],
      [{ 'config.json': '{}' }, /no _COMPLETE marker/],
    ];
    for (const [files, message] of cases) {
      const error = await rejection(verifyCheckpointFolder(await folder(files), 'ck/'));
      expect(error).toBeInstanceOf(PermanentGenerateError);
      expect(isPermanent(error)).toBe(true);
      expect(error.message).toMatch(message);
    }
  });
});
