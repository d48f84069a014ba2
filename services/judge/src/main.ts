// Process entry of the judge service:
//   node services/judge/src/main.ts [--http-port=8001 --model=DIR|rule:NAME [--served-model-name=NAME] [--host=127.0.0.1]] [--no-worker]
// Environment: SPPO_AWS_ENDPOINT (emulator) or AWS credentials from the default chain, SPPO_BUCKET,
// SPPO_QUEUE_PREFIX, AWS_REGION (packages/cloud cloudConfigFromEnv); SPPO_JUDGE_CACHE_DIR (local
// cache of downloaded judge checkpoints, default a folder under the OS temp dir);
// SPPO_VISIBILITY_TIMEOUT_SECONDS and SPPO_MAX_RECEIVE_COUNT (set by the stack);
// SPPO_JUDGE_BATCH_SIZE (rows per forward, default 32); SPPO_JUDGE_REPLICAS (judge session replicas,
// each a worker thread; default one per core on the CPU, 1 on an accelerator); SPPO_JUDGE_THREADS
// (ONNX Runtime intra-op threads per replica; default cores / replicas); SPPO_EXECUTION_PROVIDER
// (cpu | cuda | webgpu, default cpu).
// With --http-port it also serves the judge over HTTP (http/app.ts: /v1/compare, /v1/rank) with
// --model, a judge folder or a rule judge; --no-worker serves only that API.
// Stops gracefully on SIGTERM / SIGINT: the shard in flight finishes and is acked, the HTTP server closes.
import { createLogger, positiveIntFromEnv, stageEnvFromProcess, stageFlagsFromArgv, type WorkerHandle } from '@sppo/cloud';
import { createRuleJudge, loadPairwiseJudge, type PairwiseJudge } from '@sppo/model';
import { startJudgeServer, type JudgeServer } from './http/server.ts';
import { startJudgeWorker } from './worker.ts';

const logger = createLogger({ service: 'judge' });
const fail = (message: string): never => {
  logger.error('config.invalid', { error: message });
  process.exit(2);
};

const flags = stageFlagsFromArgv(logger, process.argv.slice(2), ['http-port', 'model', 'served-model-name', 'host'], ['no-worker']);
const intFromEnv = <F extends number | undefined>(name: string, fallback: F): number | F => positiveIntFromEnv(logger, name, fallback);
const threads = intFromEnv('SPPO_JUDGE_THREADS', undefined);
const replicas = intFromEnv('SPPO_JUDGE_REPLICAS', undefined);
const onnx = {
  batchSize: intFromEnv('SPPO_JUDGE_BATCH_SIZE', 32),
  executionProvider: process.env['SPPO_EXECUTION_PROVIDER'] ?? 'cpu',
  ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
  ...(replicas === undefined ? {} : { replicas }),
};

let http: { server: JudgeServer; judge: PairwiseJudge } | undefined;
const port = flags.get('http-port');
if (port !== undefined) {
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) fail(`--http-port ${port}: give a port from 0 to 65535`);
  const model = flags.get('model') ?? fail('--http-port needs --model=DIR (a judge folder with pairwise.onnx) or --model=rule:length|rule:rps');
  const judge = await (model.startsWith('rule:') ? Promise.resolve().then(() => createRuleJudge(model)) : loadPairwiseJudge(model, onnx)).catch((e: Error) => fail(`--model ${model}: ${e.message}`));
  const modelName = flags.get('served-model-name');
  const server = await startJudgeServer({ judge, port: portNumber, hostname: flags.get('host') ?? '127.0.0.1', ...(modelName ? { modelName } : {}) });
  http = { server, judge };
  logger.info('http.started', { base_url: server.baseUrl, model: modelName ?? judge.name });
}

let worker: WorkerHandle | undefined;
if (!flags.has('no-worker')) {
  const env = stageEnvFromProcess({ logger, cacheDirVariable: 'SPPO_JUDGE_CACHE_DIR', defaultCacheDirName: 'sppo-judge-cache', defaultVisibilityTimeoutSeconds: 300 });
  worker = startJudgeWorker({ ...env, logger, onnx });
  logger.info('judge.started', { bucket: env.cloud.bucket, queue_prefix: env.cloud.queuePrefix ?? 'sppo' });
}

const stopHttp = async (): Promise<void> => {
  if (!http) return;
  const { server, judge } = http;
  http = undefined;
  await server.close().catch(() => undefined);
  await judge.close?.();
  logger.info('http.stopped');
};
if (worker) {
  await worker.done;
  logger.info('judge.stopped', worker.stats() as unknown as Record<string, unknown>);
  await stopHttp();
} else {
  const stop = () => void stopHttp().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
