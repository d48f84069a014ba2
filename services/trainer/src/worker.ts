/**
 * The trainer's queue worker: runWorker on the train queue with the train handler, a heartbeat
 * that keeps the message invisible while a round trains, permanent errors (errors.ts) and invalid
 * messages dead-lettered at once, units that gave up recorded (packages/cloud startStageWorker).
 */
import { createLogger, startStageWorker, type CloudConfig, type Logger, type StageWorkerTuning, type WorkerHandle } from '@sppo/cloud';
import { trainTaskSchema } from '@sppo/core';
import type { SessionOptions } from '@sppo/autodiff';
import { isPermanent } from './errors.ts';
import { createTrainHandler, type TrainHandlerOptions } from './handler.ts';

/**
 * visibilityTimeoutSeconds defaults to the train queue's (bootstrap sets 900 s); the heartbeat
 * renews it. No concurrency: one round trains at a time.
 */
export interface TrainerWorkerOptions extends Omit<StageWorkerTuning, 'concurrency'> {
  cloud: CloudConfig;
  cacheDir: string;
  logger?: Logger;
  thread?: 'worker' | 'main';
  session?: SessionOptions;
  afterSave?: TrainHandlerOptions['afterSave'];
}

export function startTrainerWorker({
  cloud,
  cacheDir,
  visibilityTimeoutSeconds = 900,
  logger = createLogger({ service: 'trainer' }),
  thread,
  session,
  afterSave,
  ...tuning // the rest keep runWorker's defaults
}: TrainerWorkerOptions): WorkerHandle {
  return startStageWorker({
    cloud,
    kind: 'train',
    schema: trainTaskSchema,
    createHandler: ({ store, events }) =>
      createTrainHandler({ store, events, cacheDir, ...(thread ? { thread } : {}), ...(session ? { session } : {}), ...(afterSave ? { afterSave } : {}) }),
    isPermanent,
    service: 'trainer',
    logger,
    visibilityTimeoutSeconds,
    ...tuning,
    concurrency: 1, // one round trains at a time: it uses every core (or the GPU)
  });
}
