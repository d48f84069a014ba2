// The reference checkpoint's _COMPLETE rules on local folders (no emulator): both marker forms are
// accepted, anything else or a torn folder is a PermanentTrainError (never a retried TypeError).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatUploadManifest } from '@sppo/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermanent, PermanentTrainError } from './errors.ts';
import { verifyCheckpointMarker } from './reference.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-trainer-ref-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

let n = 0;
async function folder(files: Record<string, string>): Promise<string> {
  const dir = join(root, `f${n++}`);
  await mkdir(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
}

describe('verifyCheckpointMarker', () => {
  it("accepts packages/model's record as is (readCheckpoint checks it again)", async () => {
    const record = JSON.stringify({ format: 'sppo-checkpoint/1', files: { 'config.json': { bytes: 2, sha256: 'b'.repeat(64) } } });
    const dir = await folder({ 'config.json': '{}', _COMPLETE: record });
    await verifyCheckpointMarker(dir, 'ck');
    expect(await readFile(join(dir, '_COMPLETE'), 'utf8')).toBe(record);
  });

  it("accepts cloud's upload manifest (what the gateway writes for a plain HF folder) and upgrades it to the record of the same files", async () => {
    const manifest = formatUploadManifest([{ path: 'config.json', size: 2 }, { path: 'model.safetensors', size: 3 }]);
    const dir = await folder({ 'config.json': '{}', 'model.safetensors': 'abc', _COMPLETE: manifest });
    await verifyCheckpointMarker(dir, 'ck');
    const sha = (text: string) => createHash('sha256').update(text).digest('hex');
    expect(JSON.parse(await readFile(join(dir, '_COMPLETE'), 'utf8'))).toEqual({
      format: 'sppo-checkpoint/1',
      files: { 'config.json': { bytes: 2, sha256: sha('{}') }, 'model.safetensors': { bytes: 3, sha256: sha('abc') } },
    });
    expect((await readdir(dir)).sort()).toEqual(['_COMPLETE', 'config.json', 'model.safetensors']);
    // The cached folder is used again by a later task: its record passes as is.
    await verifyCheckpointMarker(dir, 'ck');
    // A folder the trainer does not own is never written to.
    const own = await folder({ 'config.json': '{}', _COMPLETE: formatUploadManifest([{ path: 'config.json', size: 2 }]) });
    expect((await rejection(verifyCheckpointMarker(own, 'ck', { upgrade: false }))).message).toMatch(/remove _COMPLETE there/);
    expect(await readFile(join(own, '_COMPLETE'), 'utf8')).toBe(formatUploadManifest([{ path: 'config.json', size: 2 }]));
  });

  it('a malformed marker or a torn folder is a permanent error naming the problem', async () => {
    const cases: [Record<string, string>, RegExp][] = [
      // The gateway's former marker ({ source, files: [names] }) used to crash with a TypeError.
      [{ 'config.json': '{}', _COMPLETE: JSON.stringify({ source: 'models/tiny/', files: ['config.json'] }) }, /checkpoint marker ck[\s\S]*files\[0\][\s\S]*upload manifest/],
      [{ 'config.json': '{}', _COMPLETE: 'not json' }, /not valid JSON/],
      [{ 'config.json': '{}', _COMPLETE: formatUploadManifest([{ path: 'config.json', size: 9 }]) }, /config.json has 2 bytes but _COMPLETE records 9/],
      [{ 'config.json': '{}', _COMPLETE: formatUploadManifest([{ path: 'model.safetensors', size: 1 }]) }, /model.safetensors is missing/],
      [{ 'config.json': '{}' }, /no _COMPLETE marker/],
    ];
    for (const [files, message] of cases) {
      const error = await rejection(verifyCheckpointMarker(await folder(files), 'ck'));
      expect(error).toBeInstanceOf(PermanentTrainError);
      expect(isPermanent(error)).toBe(true);
      expect(error.message).toMatch(message);
    }
  });
});
