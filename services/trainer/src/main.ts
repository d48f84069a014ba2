// Process entry of the trainer service:
//   node services/trainer/src/main.ts
// Environment: SPPO_AWS_ENDPOINT (emulator) or AWS credentials from the default chain, SPPO_BUCKET,
// SPPO_QUEUE_PREFIX, AWS_REGION (packages/cloud cloudConfigFromEnv); SPPO_TRAINER_CACHE_DIR (local
// checkpoint cache, default a folder under the OS temp dir); SPPO_VISIBILITY_TIMEOUT_SECONDS and
// SPPO_MAX_RECEIVE_COUNT (set by the stack); SPPO_TRAINER_THREADS (ONNX Runtime intra-op threads).
// Stops gracefully on SIGTERM / SIGINT: the round in flight finishes (or resumes from its last
// saved state after a redelivery).
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudConfigFromEnv, createLogger } from '@sppo/cloud';
import { startTrainerWorker } from './worker.ts';

const logger = createLogger({ service: 'trainer' });

function intFromEnv(name: string, fallback: number | undefined): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    logger.error('config.invalid', { variable: name, value: raw, hint: `unset it or give a positive integer${fallback === undefined ? '' : `, e.g. ${fallback}`}` });
    process.exit(2);
  }
  return value;
}

let cloud;
try {
  cloud = cloudConfigFromEnv();
} catch (error) {
  logger.error('config.invalid', { error: (error as Error).message });
  process.exit(2);
}
const threads = intFromEnv('SPPO_TRAINER_THREADS', undefined);
const worker = startTrainerWorker({
  cloud,
  cacheDir: process.env.SPPO_TRAINER_CACHE_DIR ?? join(tmpdir(), 'sppo-trainer-cache'),
  visibilityTimeoutSeconds: intFromEnv('SPPO_VISIBILITY_TIMEOUT_SECONDS', 900),
  maxReceiveCount: intFromEnv('SPPO_MAX_RECEIVE_COUNT', 5),
  logger,
  ...(threads === undefined ? {} : { session: { intraOpNumThreads: threads } }),
});
logger.info('trainer.started', { bucket: cloud.bucket, queue_prefix: cloud.queuePrefix ?? 'sppo' });
await worker.done;
logger.info('trainer.stopped', worker.stats() as unknown as Record<string, unknown>);
