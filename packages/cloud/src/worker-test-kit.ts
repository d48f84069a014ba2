// Shared by the runWorker tests (worker.test.ts, worker-permanent.test.ts): an emulator with short
// visibility timeouts, the generate queue and its DLQ, a logger that keeps its lines, and polling.
import { sleep } from './concurrency.ts';
import { createLogger, type Logger } from './logger.ts';
import { createQueue, type Queue, type ReceivedMessage } from './queue.ts';
import type { SchemaLike } from './schema.ts';
import { startTestCloud, type TestCloud } from './test-cloud.ts';
import { runWorker, type WorkerHandle, type WorkerOptions } from './worker.ts';

export interface WorkerTestbed {
  cloud: TestCloud;
  queue: Queue;
  dlq: Queue;
  logs: Array<Record<string, unknown>>;
  logger: Logger;
}

export async function startWorkerTestbed(): Promise<WorkerTestbed> {
  // maxReceiveCount 2 and 1-2 s visibility timeouts keep redelivery tests to a few seconds.
  const cloud = await startTestCloud({ maxReceiveCount: 2, visibilityTimeouts: { generate: 1, judge: 1, train: 1, events: 1 } });
  const logs: Array<Record<string, unknown>> = [];
  return {
    cloud,
    queue: createQueue(cloud.config, 'generate'),
    dlq: createQueue(cloud.config, 'generate', { deadLetter: true }),
    logs,
    logger: createLogger({ service: 'test-worker', write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) }),
  };
}

/** runWorker on the testbed's queue with the testbed's timings (overridable). */
export function startTestWorker<T>(
  { queue, dlq, logger }: WorkerTestbed,
  schema: SchemaLike<T>,
  options: Partial<WorkerOptions<T>> & Pick<WorkerOptions<T>, 'handler'>,
): WorkerHandle {
  return runWorker<T>({ queue, dlq, schema, visibilityTimeoutSeconds: 1, maxReceiveCount: 2, waitTimeSeconds: 1, handleSignals: false, logger, ...options });
}

export async function until(predicate: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** Receives (without acking) until `expected` messages arrived or the time is up. */
export async function drain(q: Queue, expected: number, timeoutMs = 8000): Promise<ReceivedMessage[]> {
  const got: ReceivedMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (got.length < expected && Date.now() < deadline) {
    got.push(...(await q.receive({ waitTimeSeconds: 1, visibilityTimeoutSeconds: 30 })));
  }
  return got;
}
