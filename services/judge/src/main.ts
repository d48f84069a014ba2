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
import { createLogger, positiveIntFromEnv, stageEnvFromProcess } from '@sppo/cloud';
import { startJudgeWorker } from './worker.ts';

const logger = createLogger({ service: 'judge' });

const env = stageEnvFromProcess({ logger, cacheDirVariable: 'SPPO_JUDGE_CACHE_DIR', defaultCacheDirName: 'sppo-judge-cache', defaultVisibilityTimeoutSeconds: 300 });
const intFromEnv = <F extends number | undefined>(name: string, fallback: F): number | F => positiveIntFromEnv(logger, name, fallback);
const threads = intFromEnv('SPPO_JUDGE_THREADS', undefined);
const replicas = intFromEnv('SPPO_JUDGE_REPLICAS', undefined);
const worker = startJudgeWorker({
  ...env,
  logger,
  onnx: {
    batchSize: intFromEnv('SPPO_JUDGE_BATCH_SIZE', 32),
    executionProvider: process.env['SPPO_EXECUTION_PROVIDER'] ?? 'cpu',
    ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
    ...(replicas === undefined ? {} : { replicas }),
  },
});
logger.info('judge.started', { bucket: env.cloud.bucket, queue_prefix: env.cloud.queuePrefix ?? 'sppo' });
await worker.done;
logger.info('judge.stopped', worker.stats() as unknown as Record<string, unknown>);
