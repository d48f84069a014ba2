/**
 * The judge's queue worker: runWorker on the judge queue with the judge handler, a heartbeat that
 * keeps the message invisible while a shard is judged (ONNX runs in a worker thread so the
 * heartbeat keeps beating); permanent errors (errors.ts) and invalid messages dead-lettered at once,
 * units that gave up recorded (packages/cloud startStageWorker).
 */
import { createLogger, createObjectStore, startStageWorker, type CloudConfig, type Logger, type StageWorkerTuning, type WorkerHandle } from '@sppo/cloud';
import { judgeQueueTaskSchema } from '@sppo/core';
import type { OnnxPairwiseJudgeOptions } from '@sppo/model';
import { isPermanent } from './errors.ts';
import { createJudgeHandler } from './handler.ts';
import { createJudgeResolver } from './judges.ts';

/** visibilityTimeoutSeconds defaults to the judge queue's (bootstrap sets 300 s); the heartbeat renews it. */
export interface JudgeWorkerOptions extends StageWorkerTuning {
  cloud: CloudConfig;
  /** Local folder for downloaded judge checkpoints. */
  cacheDir: string;
  logger?: Logger;
  onnx?: OnnxPairwiseJudgeOptions;
}

export function startJudgeWorker({
  cloud,
  cacheDir,
  visibilityTimeoutSeconds = 300,
  logger = createLogger({ service: 'judge' }),
  onnx,
  ...tuning // the rest keep runWorker's defaults
}: JudgeWorkerOptions): WorkerHandle {
  const judges = createJudgeResolver({ store: createObjectStore(cloud), cacheDir, ...(onnx ? { onnx } : {}) });
  const handle = startStageWorker({
    cloud,
    kind: 'judge',
    schema: judgeQueueTaskSchema,
    createHandler: ({ store, events }) => createJudgeHandler({ store, events, judges }),
    isPermanent,
    service: 'judge',
    logger,
    visibilityTimeoutSeconds,
    ...tuning,
  });
  // Sessions and worker threads of loaded judges end with the worker.
  const done = handle.done.finally(() => judges.close());
  return { ...handle, done };
}
