// runWorker's permanent-error path and the stage services' failure recording, against the real
// emulator (S3 + SQS), beside worker.test.ts.
import { failureKey, failureRecordSchema, generateTaskSchema, trainTaskSchema, type GenerateTask, type TrainTask } from '@sppo/core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sleep } from './concurrency.ts';
import { NotFoundError, PermanentError } from './errors.ts';
import type { Logger } from './logger.ts';
import { createObjectStore, type ObjectStore } from './object-store.ts';
import { createQueue, type Queue, type ReceivedMessage } from './queue.ts';
import type { TestCloud } from './test-cloud.ts';
import { recordUnitFailure, unitFailureHook } from './unit-failures.ts';
import type { WorkerOptions } from './worker.ts';
import { DLQ_REASON_ATTRIBUTE, DLQ_SOURCE_MESSAGE_ATTRIBUTE, DLQ_SOURCE_QUEUE_ATTRIBUTE, type FailureInfo } from './worker-message.ts';
import { drain, startTestWorker, startWorkerTestbed, until } from './worker-test-kit.ts';

let cloud: TestCloud;
let queue: Queue;
let dlq: Queue;
let events: Queue;
let store: ObjectStore;
let logs: Array<Record<string, unknown>>;
let logger: Logger;

beforeEach(async () => {
  ({ cloud, queue, dlq, logs, logger } = await startWorkerTestbed());
  events = createQueue(cloud.config, 'events');
  store = createObjectStore(cloud.config);
});
afterEach(() => cloud.stop());

const worker = (options: Partial<WorkerOptions<GenerateTask>> & Pick<WorkerOptions<GenerateTask>, 'handler'>) => startTestWorker({ cloud, queue, dlq, logs, logger }, generateTaskSchema, options);

const task = (shard: number): GenerateTask => ({ type: 'generate', run_id: 'run-p', round: 0, shard });

describe('runWorker: permanent handler errors', () => {
  it('dead-letters a PermanentError at once with its reason, acks it, and reports kind permanent', async () => {
    const attempts: number[] = [];
    const failures: FailureInfo[] = [];
    await queue.send(task(3), { attributes: { origin: 'test' } });
    const handle = worker({
      handler: async (_t, { receiveCount }) => {
        attempts.push(receiveCount);
        throw new PermanentError('shard 3 does not exist');
      },
      onFailure: (_m, _e, info) => void failures.push(info),
    });
    await until(() => handle.stats().deadLettered === 1);
    const [dead] = await drain(dlq, 1);
    await sleep(1500); // past the visibility timeout: an unacked message would come back
    await handle.stop();
    expect(attempts).toEqual([1]);
    expect(failures).toEqual([{ receiveCount: 1, final: true, kind: 'permanent' }]);
    expect(JSON.parse(dead!.body)).toEqual(task(3));
    expect(dead!.attributes[DLQ_REASON_ATTRIBUTE]).toBe('shard 3 does not exist');
    expect(dead!.attributes[DLQ_SOURCE_QUEUE_ATTRIBUTE]).toBe(queue.name);
    expect(dead!.attributes[DLQ_SOURCE_MESSAGE_ATTRIBUTE]).toBeTruthy();
    expect(dead!.attributes['origin']).toBe('test');
    expect((await queue.depth()).total).toBe(0);
    expect(handle.stats()).toMatchObject({ received: 1, deadLettered: 1, failed: 0, acked: 0 });
    expect(logs.filter((l) => l['event'] === 'message.failed_permanently')).toHaveLength(1);
    expect(logs.some((l) => l['event'] === 'message.failed')).toBe(false);
  });

  it('uses the isPermanent option, and still retries errors it rejects', async () => {
    const kinds: string[] = [];
    await queue.send(task(0));
    await queue.send(task(1));
    const handle = worker({
      handler: async (t) => {
        if (t.shard === 0) throw new NotFoundError('sppo-test', 'runs/run-p/manifest.json');
        throw new Error('throttled');
      },
      isPermanent: (error) => error instanceof NotFoundError,
      onFailure: (_m, _e, info) => void kinds.push(`${info.kind}:${info.final}`),
    });
    // Shard 1 fails twice (maxReceiveCount 2), then the redrive policy moves it.
    const dead = await drain(dlq, 2, 10_000);
    await handle.stop();
    const byShard = new Map(dead.map((m) => [(JSON.parse(m.body) as GenerateTask).shard, m]));
    expect(byShard.get(0)?.attributes[DLQ_REASON_ATTRIBUTE]).toMatch(/manifest\.json does not exist/);
    expect(byShard.get(1)?.attributes[DLQ_REASON_ATTRIBUTE]).toBeUndefined();
    expect(kinds.sort()).toEqual(['handler:false', 'handler:true', 'permanent:true']);
  });

  it('leaves the message for redelivery when onFailure fails (the failure must be recorded)', async () => {
    let calls = 0;
    await queue.send(task(2));
    const handle = worker({
      handler: async () => {
        throw new PermanentError('bad config');
      },
      onFailure: () => {
        calls += 1;
        if (calls === 1) throw new Error('S3 down');
      },
    });
    await until(() => handle.stats().deadLettered === 1);
    await handle.stop();
    expect(calls).toBe(2);
    expect(handle.stats()).toMatchObject({ received: 2, failed: 1, deadLettered: 1 });
    expect(await drain(dlq, 1)).toHaveLength(1);
  });
});

describe('unitFailureHook and recordUnitFailure', () => {
  it('records a permanent failure and a transient one on its last attempt (with the shard), through a real worker', async () => {
    await queue.send(task(4));
    await queue.send(task(5));
    const handle = worker({
      handler: async (t) => {
        throw t.shard === 4 ? new PermanentError('no manifest') : new Error('timeout');
      },
      onFailure: unitFailureHook({ store, events }, generateTaskSchema),
    });
    const published = await drain(events, 2, 10_000);
    await handle.stop();
    const four = await store.getJson(failureKey('run-p', 'generate', 0, 4), failureRecordSchema);
    expect(four).toMatchObject({ run_id: 'run-p', round: 0, stage: 'generate', shard: 4, reason: 'no manifest' });
    const five = await store.getJson(failureKey('run-p', 'generate', 0, 5), failureRecordSchema);
    expect(five.reason).toBe('gave up after 2 attempts: timeout');
    expect(published.map((m) => JSON.parse(m.body))).toEqual(
      expect.arrayContaining([
        { type: 'unit.failed', run_id: 'run-p', round: 0, stage: 'generate', shard: 4, reason: 'no manifest' },
        { type: 'unit.failed', run_id: 'run-p', round: 0, stage: 'generate', shard: 5, reason: five.reason },
      ]),
    );
  });

  it('names a train unit without a shard, and ignores non-final and invalid failures', async () => {
    const train: TrainTask = { type: 'train', run_id: 'run-t', round: 2 };
    await recordUnitFailure({ store, events }, train, 'diverged');
    const record = await store.getJson(failureKey('run-t', 'train', 2), failureRecordSchema);
    expect(record).toMatchObject({ stage: 'train', round: 2, reason: 'diverged' });
    expect('shard' in record).toBe(false);
    expect((await drain(events, 1)).map((m) => JSON.parse(m.body))).toEqual([{ type: 'unit.failed', run_id: 'run-t', round: 2, stage: 'train', reason: 'diverged' }]);

    const hook = unitFailureHook({ store, events }, trainTaskSchema);
    const message = { messageId: 'm', receiptHandle: 'r', body: JSON.stringify({ type: 'train', run_id: 'run-u', round: 0 }), receiveCount: 1, attributes: {} } satisfies ReceivedMessage;
    await hook(message, new Error('x'), { receiveCount: 1, final: false, kind: 'handler' });
    await hook(message, new Error('x'), { receiveCount: 1, final: true, kind: 'invalid' });
    await hook({ ...message, body: 'not json' }, new Error('x'), { receiveCount: 5, final: true, kind: 'handler' });
    expect(await store.exists(failureKey('run-u', 'train', 0))).toBe(false);
  });
});
