// Process entry of the judge service:
//   node services/judge/src/main.ts
// Environment: SPPO_AWS_ENDPOINT (emulator) or AWS credentials from the default chain, SPPO_BUCKET,
// SPPO_QUEUE_PREFIX, AWS_REGION (packages/cloud cloudConfigFromEnv); SPPO_JUDGE_CACHE_DIR (local
// cache of downloaded judge checkpoints, default a folder under the OS temp dir);
// SPPO_VISIBILITY_TIMEOUT_SECONDS and SPPO_MAX_RECEIVE_COUNT (set by the stack);
// SPPO_JUDGE_BATCH_SIZE (rows per forward, default 32); SPPO_JUDGE_REPLICAS (judge session replicas,
// each a worker thread; default one per core on the CPU, 1 on an accelerator); SPPO_JUDGE_THREADS
// (ONNX Runtime intra-op threads per replica; default cores / replicas); SPPO_EXECUTION_PROVIDER
// (cpu | cuda | webgpu, default cpu).
// Stops gracefully on SIGTERM / SIGINT: the shard in flight finishes and is acked.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cloudConfigFromEnv, createLogger } from '@sppo/cloud';
import { startJudgeWorker } from './worker.ts';

const logger = createLogger({ service: 'judge' });

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
const threads = intFromEnv('SPPO_JUDGE_THREADS', undefined);
const replicas = intFromEnv('SPPO_JUDGE_REPLICAS', undefined);
const worker = startJudgeWorker({
  cloud,
  cacheDir: process.env['SPPO_JUDGE_CACHE_DIR'] ?? join(tmpdir(), 'sppo-judge-cache'),
  visibilityTimeoutSeconds: intFromEnv('SPPO_VISIBILITY_TIMEOUT_SECONDS', 300),
  maxReceiveCount: intFromEnv('SPPO_MAX_RECEIVE_COUNT', 5),
  logger,
  onnx: {
    batchSize: intFromEnv('SPPO_JUDGE_BATCH_SIZE', 32),
    executionProvider: process.env['SPPO_EXECUTION_PROVIDER'] ?? 'cpu',
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
    ...(replicas === undefined ? {} : { replicas }),
  },
});
logger.info('judge.started', { bucket: cloud.bucket, queue_prefix: cloud.queuePrefix ?? 'sppo' });
await worker.done;
logger.info('judge.stopped', worker.stats() as unknown as Record<string, unknown>);
