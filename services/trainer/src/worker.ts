/**
 * The trainer's queue worker: runWorker on the train queue with the train handler, a heartbeat
 * that keeps the message invisible while a round trains, failures recorded on the last attempt,
 * and invalid messages dead-lettered at once (packages/cloud).
 */
import { createLogger, createObjectStore, createQueue, runWorker, type CloudConfig, type Logger, type WorkerHandle } from '@sppo/cloud';
import { trainTaskSchema } from '@sppo/core';
import type { SessionOptions } from '@sppo/autodiff';
import { trainOnFailure } from './failures.ts';
import { createTrainHandler, type TrainHandlerOptions } from './handler.ts';

export interface TrainerWorkerOptions {
  cloud: CloudConfig;
  cacheDir: string;
  /** The train queue's visibility timeout (bootstrap sets 900 s); the heartbeat renews it. */
  visibilityTimeoutSeconds?: number;
  heartbeatSeconds?: number;
  maxReceiveCount?: number;
  waitTimeSeconds?: number;
  /** After a failed attempt, retry after this many seconds instead of the full visibility timeout. */
  retryDelaySeconds?: number;
  handleSignals?: boolean;
  signal?: AbortSignal;
  logger?: Logger;
  thread?: 'worker' | 'main';
  session?: SessionOptions;
  afterSave?: TrainHandlerOptions['afterSave'];
}

export function startTrainerWorker({
  cloud,
  cacheDir,
  visibilityTimeoutSeconds = 900,
  heartbeatSeconds,
  maxReceiveCount = 5,
  waitTimeSeconds = 20,
  retryDelaySeconds,
  handleSignals = true,
  signal,
  logger = createLogger({ service: 'trainer' }),
  thread,
  session,
  afterSave,
}: TrainerWorkerOptions): WorkerHandle {
  const store = createObjectStore(cloud);
  const queue = createQueue(cloud, 'train');
  const dlq = createQueue(cloud, 'train', { deadLetter: true });
  const events = createQueue(cloud, 'events');
  const handler = createTrainHandler({
    store,
    events,
    dlq,
    queue,
    cacheDir,
    ...(thread ? { thread } : {}),
    ...(session ? { session } : {}),
    ...(afterSave ? { afterSave } : {}),
  });
  return runWorker({
    queue,
    dlq,
    schema: trainTaskSchema,
    handler,
    concurrency: 1, // one round trains at a time: it uses every core (or the GPU)
    visibilityTimeoutSeconds,
    ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds }),
    maxReceiveCount,
    waitTimeSeconds,
    ...(retryDelaySeconds === undefined ? {} : { retryDelaySeconds }),
    onFailure: trainOnFailure({ store, events }),
    service: 'trainer',
    logger,
    handleSignals,
    ...(signal ? { signal } : {}),
  });
}
