import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sleep } from './concurrency.ts';
import type { Logger } from './logger.ts';
import type { Queue, ReceivedMessage } from './queue.ts';
import type { SchemaLike } from './schema.ts';
import type { TestCloud } from './test-cloud.ts';
import type { WorkerOptions } from './worker.ts';
import type { FailureInfo } from './worker-message.ts';
import { drain, startTestWorker, startWorkerTestbed, until } from './worker-test-kit.ts';

interface Task {
  id: string;
}
const taskSchema: SchemaLike<Task> = {
  safeParse: (v) =>
    typeof (v as { id?: unknown } | null)?.id === 'string'
      ? { success: true, data: v as Task }
      : { success: false, error: { issues: [{ path: ['id'], message: 'expected string' }] } },
};

let cloud: TestCloud;
let queue: Queue;
let dlq: Queue;
let logs: Array<Record<string, unknown>>;
let logger: Logger;

beforeEach(async () => {
  ({ cloud, queue, dlq, logs, logger } = await startWorkerTestbed());
});
afterEach(() => cloud.stop());

const worker = (options: Partial<WorkerOptions<Task>> & Pick<WorkerOptions<Task>, 'handler'>) => startTestWorker({ cloud, queue, dlq, logs, logger }, taskSchema, options);

describe('runWorker', () => {
  it('redelivers a failed message after the visibility timeout and acks it once it succeeds', async () => {
    const counts: number[] = [];
    const failures: FailureInfo[] = [];
    await queue.send({ id: 'a' });
    const handle = worker({
      handler: async (_task, { receiveCount }) => {
        counts.push(receiveCount);
        if (receiveCount === 1) throw new Error('transient');
      },
      onFailure: (_m, _e, info) => void failures.push(info),
    });
    await until(() => handle.stats().acked === 1);
    await handle.stop();
    expect(counts).toEqual([1, 2]);
    expect(failures).toEqual([{ receiveCount: 1, final: false, kind: 'handler' }]);
    expect((await queue.depth()).total).toBe(0);
    expect(logs.find((l) => l.event === 'message.failed')).toMatchObject({
      service: 'test-worker',
      queue: queue.name,
      error: { name: 'Error', message: 'transient' },
    });
  });

  it('never acks a failing message: the redrive policy moves it to the DLQ after maxReceiveCount', async () => {
    const failures: FailureInfo[] = [];
    await queue.send({ id: 'doomed' });
    const handle = worker({
      handler: async () => {
        throw new Error('always fails');
      },
      onFailure: (_m, _e, info) => void failures.push(info),
    });
    const dead = await drain(dlq, 1);
    await handle.stop();
    expect(dead.map((m) => m.body)).toEqual(['{"id":"doomed"}']);
    expect(failures).toEqual([
      { receiveCount: 1, final: false, kind: 'handler' },
      { receiveCount: 2, final: true, kind: 'handler' },
    ]);
    expect(handle.stats()).toMatchObject({ acked: 0, failed: 2 });
    expect((await queue.depth()).total).toBe(0);
  });

  it('sends invalid messages to the DLQ with their reason while valid ones are handled', async () => {
    const handled: Task[] = [];
    const failures: Array<{ error: unknown; info: FailureInfo }> = [];
    await queue.sendRaw('not json {');
    await queue.send({ wrong: true });
    await queue.send({ id: 'good' });
    const handle = worker({
      concurrency: 3,
      handler: async (task) => void handled.push(task),
      onFailure: (_m, error, info) => void failures.push({ error, info }),
    });
    const dead = await drain(dlq, 2);
    await until(() => handle.stats().acked === 1);
    await handle.stop();
    expect(handled).toEqual([{ id: 'good' }]);
    const reasons = Object.fromEntries(dead.map((m) => [m.body, m.attributes['sppo-reason']]));
    expect(reasons['not json {']).toMatch(/^body is not JSON: /);
    expect(reasons['{"wrong":true}']).toBe('body does not match the message schema: id: expected string');
    expect(dead.every((m) => m.attributes['sppo-source-queue'] === queue.name)).toBe(true);
    expect(failures.map((f) => f.info)).toEqual([
      { receiveCount: 1, final: true, kind: 'invalid' },
      { receiveCount: 1, final: true, kind: 'invalid' },
    ]);
    expect(logs.filter((l) => l.event === 'message.invalid').map((l) => l.reason)).toHaveLength(2);
    expect((await queue.depth()).total).toBe(0);
  });

  it('keeps a slow message invisible beyond its visibility timeout with heartbeats', async () => {
    let calls = 0;
    await queue.send({ id: 'slow' });
    const handle = worker({
      heartbeatSeconds: 0.3,
      handler: async () => {
        calls += 1;
        await sleep(3000);
      },
    });
    await until(() => calls === 1);
    // A competing consumer polls throughout: without heartbeats the message would reappear after 1 s.
    const stolen: ReceivedMessage[] = [];
    while (handle.stats().inFlight > 0) stolen.push(...(await queue.receive({ waitTimeSeconds: 0, visibilityTimeoutSeconds: 1 })));
    await until(() => handle.stats().acked === 1);
    await handle.stop();
    expect(stolen).toEqual([]);
    expect(calls).toBe(1);
    expect(logs.find((l) => l.event === 'message.acked')?.heartbeats).toBeGreaterThanOrEqual(5);
    expect((await queue.depth()).total).toBe(0);
  });

  it('bounds concurrency', async () => {
    let running = 0;
    let peak = 0;
    await queue.sendBatch(Array.from({ length: 6 }, (_, i) => ({ id: String(i) })));
    const handle = worker({
      concurrency: 2,
      visibilityTimeoutSeconds: 5,
      handler: async () => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(150);
        running -= 1;
      },
    });
    await until(() => handle.stats().acked === 6);
    await handle.stop();
    expect(peak).toBe(2);
  });

  it('on SIGTERM stops polling, finishes in-flight work, acks only what finished', async () => {
    await queue.sendBatch([{ id: 'finishes' }, { id: 'throws' }, { id: 'never-started' }]);
    const started: string[] = [];
    const finished: string[] = [];
    const before = new Set(process.listeners('SIGTERM'));
    const handle = worker({
      concurrency: 2,
      visibilityTimeoutSeconds: 2,
      waitTimeSeconds: 20,
      handleSignals: true,
      handler: async (task) => {
        started.push(task.id);
        await sleep(800);
        finished.push(task.id);
        if (task.id === 'throws') throw new Error('failed during shutdown');
      },
    });
    const listener = process.listeners('SIGTERM').find((l) => !before.has(l));
    expect(listener).toBeTypeOf('function');
    await until(() => started.length === 2);
    listener!('SIGTERM');
    await handle.done;
    // Everything that started ran to completion before done resolved.
    expect(finished.sort()).toEqual([...started].sort());
    expect(handle.stats()).toMatchObject({ acked: 1, failed: 1, inFlight: 0 });
    expect(process.listeners('SIGTERM')).not.toContain(listener);
    // The failed and the never-started messages are still in the queue (nothing unfinished acked).
    expect((await queue.depth()).total).toBe(2);
    const acked = finished.filter((id) => id !== 'throws');
    const left = await drain(queue, 2);
    expect(left.map((m) => (JSON.parse(m.body) as Task).id).sort()).toEqual(
      ['finishes', 'throws', 'never-started'].filter((id) => !acked.includes(id)).sort(),
    );
  });

  it('stops on an AbortSignal even in the middle of a 20 s long poll', async () => {
    const controller = new AbortController();
    const handle = worker({ signal: controller.signal, waitTimeSeconds: 20, handler: async () => {} });
    await sleep(300);
    const t0 = Date.now();
    controller.abort();
    await handle.done;
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(logs.map((l) => l.event)).toEqual(expect.arrayContaining(['worker.started', 'worker.stopping', 'worker.stopped']));
  });

  it('rejects invalid options with every problem listed', () => {
    expect(() => worker({ handler: async () => {}, concurrency: 0, heartbeatSeconds: 5 })).toThrow(
      /concurrency 0[\s\S]*heartbeatSeconds 5/,
    );
  });
});
