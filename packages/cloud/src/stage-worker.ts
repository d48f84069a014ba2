/**
 * The queue worker of a stage service (generator, judge, trainer; ARCHITECTURE 3.5): runWorker on
 * the stage's queue with its DLQ, the handler the service builds from the object store and the
 * events queue, permanent errors dead-lettered at once, and every unit that gave up recorded
 * (unitFailureHook). The services differ only in their handler and their defaults.
 */
import type { Task } from '@sppo/core';
import type { CloudConfig, QueueKind } from './config.ts';
import type { Logger } from './logger.ts';
import { createObjectStore } from './object-store.ts';
import { createQueue } from './queue.ts';
import type { SchemaLike } from './schema.ts';
import { unitFailureHook, type UnitFailureDeps } from './unit-failures.ts';
import { runWorker, type WorkerHandle } from './worker.ts';
import type { MessageHandler } from './worker-message.ts';

/** runWorker's tuning options a stage service passes through (undefined: runWorker's default). */
export interface StageWorkerTuning {
  visibilityTimeoutSeconds?: number;
  heartbeatSeconds?: number;
  maxReceiveCount?: number;
  waitTimeSeconds?: number;
  retryDelaySeconds?: number;
  concurrency?: number;
  handleSignals?: boolean;
  signal?: AbortSignal;
}

export interface StageWorkerOptions<T extends Task> extends StageWorkerTuning {
  cloud: CloudConfig;
  /** The stage's queue: 'generate', 'judge' or 'train'. */
  kind: Exclude<QueueKind, 'events'>;
  schema: SchemaLike<T>;
  createHandler: (deps: UnitFailureDeps) => MessageHandler<T>;
  /** Handler errors no retry can fix (default: runWorker's, PermanentError instances). */
  isPermanent?: (error: unknown) => boolean;
  service: string;
  logger: Logger;
}

export function startStageWorker<T extends Task>({ cloud, kind, schema, createHandler, isPermanent, service, logger, ...tuning }: StageWorkerOptions<T>): WorkerHandle {
  const deps: UnitFailureDeps = { store: createObjectStore(cloud), events: createQueue(cloud, 'events') };
  return runWorker({
    queue: createQueue(cloud, kind),
    dlq: createQueue(cloud, kind, { deadLetter: true }),
    schema,
    handler: createHandler(deps),
    ...(isPermanent ? { isPermanent } : {}),
    onFailure: unitFailureHook(deps, schema),
    service,
    logger,
    ...tuning, // undefined entries take runWorker's defaults (destructuring defaults)
  });
}
