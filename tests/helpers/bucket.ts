/**
 * Snapshots of everything a test could change: every object (key + content hash) and every
 * queue's depth, so "nothing changed" is one comparison, and a seeded PRNG for fuzzing.
 */
import type { ObjectStore, Queue } from '@sppo/cloud';
import { parseKey } from '@sppo/core';
import { sha256 } from './fault-proxy.ts';

export interface BucketSnapshot {
  /** key -> sha256 of the bytes */
  objects: Map<string, string>;
}

export async function snapshotBucket(objects: ObjectStore, prefix = ''): Promise<BucketSnapshot> {
  const out = new Map<string, string>();
  for (const { key } of await objects.list(prefix)) out.set(key, sha256(await objects.getBytes(key)));
  return { objects: out };
}

/** Keys added, removed or rewritten with other bytes between two snapshots. */
export function diffSnapshots(before: BucketSnapshot, after: BucketSnapshot): string[] {
  const changes: string[] = [];
  for (const [key, hash] of after.objects) {
    const was = before.objects.get(key);
    if (was === undefined) changes.push(`added ${key}`);
    else if (was !== hash) changes.push(`rewritten ${key}`);
  }
  for (const key of before.objects.keys()) if (!after.objects.has(key)) changes.push(`removed ${key}`);
  return changes;
}

export async function queueDepths(queues: Record<string, Queue>): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, queue] of Object.entries(queues)) out[name] = (await queue.depth()).total;
  return out;
}

/** Keys under `runs/` that core's parseKey rejects (outside the documented layout). */
export function keysOutsideLayout(keys: Iterable<string>): string[] {
  return [...keys].filter((key) => key.startsWith('runs/') && parseKey(key) === null);
}

/** mulberry32: a tiny seeded PRNG, so a failing fuzz case is reproducible from its seed. */
export function seededRandom(seed: number): { next(): number; int(n: number): number; pick<T>(items: readonly T[]): T } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return { next, int, pick: <T>(items: readonly T[]): T => items[int(items.length)] as T };
}
