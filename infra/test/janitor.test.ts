import { expect, test } from 'vitest';
import { isExpiredIntermediate, sweep, type JanitorObject, type JanitorStore } from '../lambda/janitor/index.mjs';

const DAY = 24 * 60 * 60 * 1000;
const now = new Date('2026-11-01T00:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY);

test('only generations, triplets and train-state under a round expire, and only when old', () => {
  const old = daysAgo(30);
  expect(isExpiredIntermediate('runs/r1/round=0/generations/shard=0.jsonl', old, now, 14)).toBe(true);
  expect(isExpiredIntermediate('runs/r1/round=12/triplets/shard=3.jsonl', old, now, 14)).toBe(true);
  expect(isExpiredIntermediate('runs/r1/round=2/train-state/optimizer.bin', old, now, 14)).toBe(true);
  expect(isExpiredIntermediate('runs/r1/round=0/generations/shard=0.jsonl', daysAgo(13), now, 14)).toBe(false);
  for (const kept of [
    'runs/r1/checkpoints/1/model.safetensors',
    'runs/r1/checkpoints/1/_COMPLETE',
    'runs/r1/round=0/_manifest.json',
    'runs/r1/round=0/metrics.json',
    'runs/r1/run.json',
    'runs/r1/prompts/pool.jsonl',
    'runs/r1/failures/generate-0-1.json',
    'runs/r1/checkpoints/round=0/generations/x', // a checkpoint file whose name looks like a shard path
    'models/judge/generations/x',
  ]) {
    expect(isExpiredIntermediate(kept, old, now, 14), kept).toBe(false);
  }
});

/** An in-memory bucket with paged listing, standing in for S3 behind the janitor's port. */
function memoryStore(objects: JanitorObject[], { pageSize = 2, failKeys = [] as string[] } = {}) {
  const keys = new Map(objects.map((o) => [o.key, o]));
  const deleteCalls: string[][] = [];
  const store: JanitorStore = {
    async list(prefix, token) {
      const all = [...keys.values()].filter((o) => o.key.startsWith(prefix)).sort((a, b) => a.key.localeCompare(b.key));
      // Like S3, the continuation token resumes after the last key returned, so deleting keys
      // already listed does not shift the listing.
      const rest = token ? all.filter((o) => o.key > token) : all;
      const page = rest.slice(0, pageSize);
      return { objects: page, next: rest.length > pageSize ? page[page.length - 1]!.key : undefined };
    },
    async deleteKeys(batch) {
      deleteCalls.push(batch);
      const errors = batch.filter((k) => failKeys.includes(k)).map((key) => ({ key, message: 'AccessDenied: test' }));
      for (const k of batch) if (!failKeys.includes(k)) keys.delete(k);
      return { errors };
    },
  };
  return { store, keys, deleteCalls };
}

test('a sweep over every page deletes the expired shards and keeps checkpoints, in batches of at most 1000', async () => {
  const objects: JanitorObject[] = [
    { key: 'runs/a/checkpoints/1/model.safetensors', lastModified: daysAgo(400) },
    { key: 'runs/a/round=0/_manifest.json', lastModified: daysAgo(400) },
    { key: 'runs/a/round=0/generations/shard=0.jsonl', lastModified: daysAgo(1) },
  ];
  for (let i = 0; i < 1500; i++) objects.push({ key: `runs/b/round=1/triplets/shard=${i}.jsonl`, lastModified: daysAgo(20) });
  const { store, keys, deleteCalls } = memoryStore(objects, { pageSize: 400 });
  const lines: string[] = [];
  const result = await sweep({ store, days: 14, now, log: (l) => lines.push(l) });
  expect(result).toEqual({ scanned: 1503, deleted: 1500, failed: 0 });
  expect(deleteCalls.map((c) => c.length)).toEqual([1000, 500]);
  expect([...keys.keys()].sort()).toEqual(['runs/a/checkpoints/1/model.safetensors', 'runs/a/round=0/_manifest.json', 'runs/a/round=0/generations/shard=0.jsonl']);
  expect(lines[0]).toBe('janitor scanned=1503 deleted=1500 failed=0');
});

test('failed deletes are counted and logged with their reason', async () => {
  const { store } = memoryStore(
    [
      { key: 'runs/a/round=0/generations/shard=0.jsonl', lastModified: daysAgo(30) },
      { key: 'runs/a/round=0/generations/shard=1.jsonl', lastModified: daysAgo(30) },
    ],
    { failKeys: ['runs/a/round=0/generations/shard=1.jsonl'] },
  );
  const lines: string[] = [];
  expect(await sweep({ store, days: 14, now, log: (l) => lines.push(l) })).toEqual({ scanned: 2, deleted: 1, failed: 1 });
  expect(lines).toContain('janitor delete failed key=runs/a/round=0/generations/shard=1.jsonl reason=AccessDenied: test');
});

test('a missing or bad retention is refused before anything is listed', async () => {
  const { store, deleteCalls } = memoryStore([{ key: 'runs/a/round=0/triplets/x', lastModified: daysAgo(99) }]);
  await expect(sweep({ store, days: Number(undefined), now })).rejects.toThrow(/RETENTION_DAYS/);
  expect(deleteCalls).toHaveLength(0);
});
