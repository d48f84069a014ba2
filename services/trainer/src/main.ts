// Process entry of the trainer service:
//   node services/trainer/src/main.ts
// Environment: SPPO_AWS_ENDPOINT (emulator) or AWS credentials from the default chain, SPPO_BUCKET,
// SPPO_QUEUE_PREFIX, AWS_REGION (packages/cloud cloudConfigFromEnv); SPPO_TRAINER_CACHE_DIR (local
// checkpoint cache, default a folder under the OS temp dir); SPPO_VISIBILITY_TIMEOUT_SECONDS and
// SPPO_MAX_RECEIVE_COUNT (set by the stack); SPPO_TRAINER_THREADS (ONNX Runtime intra-op threads).
// Stops gracefully on SIGTERM / SIGINT: the round in flight finishes (or resumes from its last
// saved state after a redelivery).
import { createLogger, positiveIntFromEnv, stageEnvFromProcess } from '@sppo/cloud';
import { startTrainerWorker } from './worker.ts';

const logger = createLogger({ service: 'trainer' });

const env = stageEnvFromProcess({ logger, cacheDirVariable: 'SPPO_TRAINER_CACHE_DIR', defaultCacheDirName: 'sppo-trainer-cache', defaultVisibilityTimeoutSeconds: 900 });
const threads = positiveIntFromEnv(logger, 'SPPO_TRAINER_THREADS', undefined);
const worker = startTrainerWorker({
  ...env,
  logger,
  ...(threads === undefined ? {} : { session: { intraOpNumThreads: threads } }),
});
logger.info('trainer.started', { bucket: env.cloud.bucket, queue_prefix: env.cloud.queuePrefix ?? 'sppo' });
await worker.done;
logger.info('trainer.stopped', worker.stats() as unknown as Record<string, unknown>);
