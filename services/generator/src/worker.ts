/**
 * The generator's queue worker: runWorker on the generate queue with the generate handler. The
 * sampler runs in worker threads (createParallelSamplingEngine), so the heartbeat that keeps the
 * message invisible keeps beating while a shard is sampled; failures are recorded on the last
 * attempt and invalid messages are dead-lettered.
 */
import { createLogger, createObjectStore, createQueue, runWorker, type CloudConfig, type Logger, type WorkerHandle } from '@sppo/cloud';
import { generateTaskSchema } from '@sppo/core';
import { createEnginePool, type EnginePool } from './checkpoints.ts';
import { generateOnFailure } from './failures.ts';
import { createGenerateHandler, type GenerateHandlerOptions } from './handler.ts';

export interface GeneratorWorkerOptions {
  cloud: CloudConfig;
  /** Local folder for downloaded checkpoints. */
  cacheDir: string;
  /** The generate queue's visibility timeout (bootstrap sets 300 s); the heartbeat renews it. */
  visibilityTimeoutSeconds?: number;
  heartbeatSeconds?: number;
  maxReceiveCount?: number;
  waitTimeSeconds?: number;
  retryDelaySeconds?: number;
  concurrency?: number;
  handleSignals?: boolean;
  signal?: AbortSignal;
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
  heartbeatSeconds,
  maxReceiveCount = 5,
  waitTimeSeconds = 20,
  retryDelaySeconds,
  concurrency = 1,
  handleSignals = true,
  signal,
  logger = createLogger({ service: 'generator' }),
  executionProvider,
  openAiApiKey,
  engines = createEnginePool(),
  createOpenAiBackend,
}: GeneratorWorkerOptions): WorkerHandle {
  const store = createObjectStore(cloud);
  const queue = createQueue(cloud, 'generate');
  const dlq = createQueue(cloud, 'generate', { deadLetter: true });
  const events = createQueue(cloud, 'events');
  const handle = runWorker({
    queue,
    dlq,
    schema: generateTaskSchema,
    handler: createGenerateHandler({
      store,
      events,
      cacheDir,
      engines,
      dlq,
      queue,
      ...(executionProvider === undefined ? {} : { executionProvider }),
      ...(openAiApiKey === undefined ? {} : { openAiApiKey }),
      ...(createOpenAiBackend === undefined ? {} : { createOpenAiBackend }),
    }),
    concurrency,
    visibilityTimeoutSeconds,
    ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds }),
    maxReceiveCount,
    waitTimeSeconds,
    ...(retryDelaySeconds === undefined ? {} : { retryDelaySeconds }),
    onFailure: generateOnFailure({ store, events }),
    service: 'generator',
    logger,
    handleSignals,
    ...(signal ? { signal } : {}),
  });
  // Engines (and their worker threads) end with the worker.
  const done = handle.done.finally(() => engines.close());
  return { ...handle, done };
}
