import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chunkBatch, createQueue, type Queue, type ReceivedMessage } from './queue.ts';
import { ResourceMissingError } from './errors.ts';
import { startTestCloud, type TestCloud } from './test-cloud.ts';

let cloud: TestCloud;
let queue: Queue;

beforeAll(async () => {
  cloud = await startTestCloud({ visibilityTimeouts: { judge: 30 } });
  queue = createQueue(cloud.config, 'judge');
});
afterAll(() => cloud.stop());
beforeEach(() => queue.purge());

async function receiveAll(q: Queue, expected: number): Promise<ReceivedMessage[]> {
  const all: ReceivedMessage[] = [];
  for (let i = 0; i < 20 && all.length < expected; i++) all.push(...(await q.receive({ waitTimeSeconds: 0 })));
  return all;
}

describe('queue', () => {
  it('sends a batch of 25 in chunks of 10 and receives every message once', async () => {
    const ids = await queue.sendBatch(Array.from({ length: 25 }, (_, i) => ({ shard: i })));
    expect(new Set(ids).size).toBe(25);
    expect(await queue.depth()).toMatchObject({ visible: 25, inFlight: 0, total: 25 });
    const received = await receiveAll(queue, 25);
    expect(received.map((m) => (JSON.parse(m.body) as { shard: number }).shard).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, i) => i),
    );
    expect(received.every((m) => m.receiveCount === 1 && m.sentAt instanceof Date)).toBe(true);
    expect(await queue.depth()).toMatchObject({ visible: 0, inFlight: 25, total: 25 });
    await Promise.all(received.map((m) => queue.ack(m)));
    expect((await queue.depth()).total).toBe(0);
  });

  it('carries attributes, counts receives and releases a message with changeVisibility(0)', async () => {
    await queue.send({ run: 'r1' }, { attributes: { trace: 'abc' } });
    const [first] = await queue.receive({ waitTimeSeconds: 1 });
    expect(first).toMatchObject({ body: '{"run":"r1"}', receiveCount: 1, attributes: { trace: 'abc' } });
    expect(await queue.receive({ waitTimeSeconds: 0 })).toEqual([]);
    await queue.changeVisibility(first!, 0);
    const [second] = await queue.receive({ waitTimeSeconds: 1 });
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.receiveCount).toBe(2);
    await queue.ack(second!);
    expect((await queue.depth()).total).toBe(0);
  });

  it('returns [] at once when a long poll is aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = queue.receive({ waitTimeSeconds: 20, signal: controller.signal });
    setTimeout(() => controller.abort(), 200);
    expect(await pending).toEqual([]);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rejects out-of-range parameters and names a missing queue', async () => {
    await expect(queue.receive({ maxMessages: 11 })).rejects.toThrow(/maxMessages 11 is out of range/);
    await expect(queue.receive({ waitTimeSeconds: 21 })).rejects.toThrow(/waitTimeSeconds/);
    const missing = createQueue({ ...cloud.config, queuePrefix: 'nobody' }, 'train');
    await expect(missing.send({})).rejects.toBeInstanceOf(ResourceMissingError);
    await expect(missing.send({})).rejects.toThrow(/queue "nobody-train" does not exist: create the bucket and queues first/);
  });

  it('chunks batches by count and by size', () => {
    expect(chunkBatch(Array.from({ length: 23 }, () => 'x')).map((c) => c.length)).toEqual([10, 10, 3]);
    const big = 'y'.repeat(100 * 1024);
    expect(chunkBatch([big, big, big, 'z'])).toEqual([[0, 1], [2, 3]]);
    expect(() => chunkBatch(['y'.repeat(300 * 1024)])).toThrow(/put bulk data in S3/);
  });
});
