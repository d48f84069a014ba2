/**
 * The generator's queue worker: runWorker on the generate queue with the generate handler. The
 * sampler runs in worker threads (createParallelSamplingEngine), so the heartbeat that keeps the
 * message invisible keeps beating while a shard is sampled; permanent errors (errors.ts) and invalid
 * messages are dead-lettered at once, and units that gave up are recorded (packages/cloud
 * startStageWorker).
 */
import { createLogger, startStageWorker, type CloudConfig, type Logger, type StageWorkerTuning, type WorkerHandle } from '@sppo/cloud';
import { generateQueueTaskSchema } from '@sppo/core';
import { createEnginePool, type EnginePool } from './checkpoints.ts';
import { isPermanent } from './errors.ts';
import { createGenerateHandler, type GenerateHandlerOptions } from './handler.ts';

/** visibilityTimeoutSeconds defaults to the generate queue's (bootstrap sets 300 s); the heartbeat renews it. */
export interface GeneratorWorkerOptions extends StageWorkerTuning {
  cloud: CloudConfig;
  /** Local folder for downloaded checkpoints. */
  cacheDir: string;
  logger?: Logger;
  /** Overrides the run config's execution_provider. */
  executionProvider?: string;
  openAiApiKey?: string;
  engines?: EnginePool;
  createOpenAiBackend?: GenerateHandlerOptions['createOpenAiBackend'];
}

export function startGeneratorWorker({
  cloud,
  cacheDir,
  visibilityTimeoutSeconds = 300,
  logger = createLogger({ service: 'generator' }),
  executionProvider,
  openAiApiKey,
  engines = createEnginePool(),
  createOpenAiBackend,
  ...tuning // the rest keep runWorker's defaults
}: GeneratorWorkerOptions): WorkerHandle {
  const handle = startStageWorker({
    cloud,
    kind: 'generate',
    schema: generateQueueTaskSchema,
    createHandler: ({ store, events }) =>
      createGenerateHandler({
        store,
        events,
        cacheDir,
        engines,
        ...(executionProvider === undefined ? {} : { executionProvider }),
        ...(openAiApiKey === undefined ? {} : { openAiApiKey }),
        ...(createOpenAiBackend === undefined ? {} : { createOpenAiBackend }),
      }),
    isPermanent,
    service: 'generator',
    logger,
    visibilityTimeoutSeconds,
    ...tuning,
  });
  // Engines (and their worker threads) end with the worker.
  const done = handle.done.finally(() => engines.close());
  return { ...handle, done };
}
