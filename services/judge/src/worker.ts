/**
 * The judge's queue worker: runWorker on the judge queue with the judge handler, a heartbeat that
 * keeps the message invisible while a shard is judged (ONNX runs in a worker thread so the
 * heartbeat keeps beating), failures recorded on the last attempt, invalid messages dead-lettered.
 */
import { createLogger, createObjectStore, createQueue, runWorker, type CloudConfig, type Logger, type WorkerHandle } from '@sppo/cloud';
import { judgeTaskSchema } from '@sppo/core';
import type { OnnxPairwiseJudgeOptions } from '@sppo/model';
import { judgeOnFailure } from './failures.ts';
import { createJudgeHandler } from './handler.ts';
import { createJudgeResolver } from './judges.ts';

export interface JudgeWorkerOptions {
  cloud: CloudConfig;
  /** Local folder for downloaded judge checkpoints. */
  cacheDir: string;
  /** The judge queue's visibility timeout (bootstrap sets 300 s); the heartbeat renews it. */
  visibilityTimeoutSeconds?: number;
  heartbeatSeconds?: number;
  maxReceiveCount?: number;
  waitTimeSeconds?: number;
  retryDelaySeconds?: number;
  concurrency?: number;
  handleSignals?: boolean;
  signal?: AbortSignal;
  logger?: Logger;
  onnx?: OnnxPairwiseJudgeOptions;
}

export function startJudgeWorker({
  cloud,
  cacheDir,
  visibilityTimeoutSeconds = 300,
  heartbeatSeconds,
  maxReceiveCount = 5,
  waitTimeSeconds = 20,
  retryDelaySeconds,
  concurrency = 1,
  handleSignals = true,
  signal,
  logger = createLogger({ service: 'judge' }),
  onnx,
}: JudgeWorkerOptions): WorkerHandle {
  const store = createObjectStore(cloud);
  const queue = createQueue(cloud, 'judge');
  const dlq = createQueue(cloud, 'judge', { deadLetter: true });
  const events = createQueue(cloud, 'events');
  const judges = createJudgeResolver({ store, cacheDir, ...(onnx ? { onnx } : {}) });
  const handle = runWorker({
    queue,
    dlq,
    schema: judgeTaskSchema,
    handler: createJudgeHandler({ store, events, judges, dlq, queue }),
    concurrency,
    visibilityTimeoutSeconds,
    ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds }),
    maxReceiveCount,
    waitTimeSeconds,
    ...(retryDelaySeconds === undefined ? {} : { retryDelaySeconds }),
    onFailure: judgeOnFailure({ store, events }),
    service: 'judge',
    logger,
    handleSignals,
    ...(signal ? { signal } : {}),
  });
  // Sessions and worker threads of loaded judges end with the worker.
  const done = handle.done.finally(() => judges.close());
  return { ...handle, done };
}
