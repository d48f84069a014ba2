// Process entry of the generator service:
//   node services/generator/src/main.ts [--http-port=8000 --model=DIR [--served-model-name=NAME] [--host=127.0.0.1]] [--no-worker]
// The queue worker reads its cloud settings from the environment: SPPO_AWS_ENDPOINT (emulator) or
// AWS credentials from the default chain, SPPO_BUCKET, SPPO_QUEUE_PREFIX, AWS_REGION (packages/cloud
// cloudConfigFromEnv); SPPO_GENERATOR_CACHE_DIR (downloaded checkpoints, default under the OS temp
// dir); SPPO_VISIBILITY_TIMEOUT_SECONDS and SPPO_MAX_RECEIVE_COUNT (set by the stack);
// SPPO_EXECUTION_PROVIDER (cpu | cuda | webgpu; default: the run config's execution_provider);
// SPPO_OPENAI_API_KEY (bearer token for generation_backend 'openai'); SPPO_GENERATOR_REPLICAS
// (sampling engine replicas, each a worker thread with its own session; default one per core on
// the CPU, 1 on an accelerator).
// With --http-port it also serves the OpenAI-compatible API on --model (a checkpoint folder);
// --no-worker serves only that API. Stops gracefully on SIGTERM / SIGINT: the shard in flight
// finishes and is acked, the HTTP server closes.
import { createLogger, positiveIntFromEnv, stageEnvFromProcess, stageFlagsFromArgv, type WorkerHandle } from '@sppo/cloud';
import { createParallelSamplingEngine, type SamplingEngine } from '@sppo/model';
import { createEnginePool } from './checkpoints.ts';
import { startOpenAiServer, type OpenAiServer } from './openai/server.ts';
import { startGeneratorWorker } from './worker.ts';

const logger = createLogger({ service: 'generator' });

function fail(message: string): never {
  logger.error('config.invalid', { error: message });
  process.exit(2);
}

const flags = stageFlagsFromArgv(logger, process.argv.slice(2), ['http-port', 'model', 'served-model-name', 'host', 'execution-provider'], ['no-worker']);
const executionProvider = flags.get('execution-provider') ?? process.env['SPPO_EXECUTION_PROVIDER'];
const replicas = positiveIntFromEnv(logger, 'SPPO_GENERATOR_REPLICAS', undefined);

let http: { server: OpenAiServer; engine: SamplingEngine } | undefined;
const port = flags.get('http-port');
if (port !== undefined) {
  const portNumber = Number(port);
  if (!Number.isInteger(portNumber) || portNumber < 0 || portNumber > 65535) fail(`--http-port ${port}: give a port from 0 to 65535`);
  const model = flags.get('model') ?? process.env['SPPO_GENERATOR_MODEL'] ?? fail('--http-port needs --model=DIR (a checkpoint folder with model.onnx)');
  const engine = await createParallelSamplingEngine({
    modelDir: model,
    ...(executionProvider ? { executionProvider } : {}),
    ...(replicas === undefined ? {} : { replicas }),
  }).catch((e: Error) => fail(e.message));
  const modelName = flags.get('served-model-name');
  const server = await startOpenAiServer({ engine, port: portNumber, hostname: flags.get('host') ?? '127.0.0.1', ...(modelName ? { modelName } : {}) });
  http = { server, engine };
  logger.info('http.started', { base_url: server.baseUrl, model: modelName ?? engine.info.name });
}

let worker: WorkerHandle | undefined;
if (!flags.has('no-worker')) {
  const env = stageEnvFromProcess({ logger, cacheDirVariable: 'SPPO_GENERATOR_CACHE_DIR', defaultCacheDirName: 'sppo-generator-cache', defaultVisibilityTimeoutSeconds: 300 });
  worker = startGeneratorWorker({
    ...env,
    logger,
    engines: createEnginePool(replicas === undefined ? {} : { replicas }),
    ...(executionProvider ? { executionProvider } : {}),
    ...(process.env['SPPO_OPENAI_API_KEY'] ? { openAiApiKey: process.env['SPPO_OPENAI_API_KEY'] } : {}),
  });
  logger.info('generator.started', { bucket: env.cloud.bucket, queue_prefix: env.cloud.queuePrefix ?? 'sppo' });
}

const stopHttp = async (): Promise<void> => {
  if (!http) return;
  const { server, engine } = http;
  http = undefined;
  await server.close().catch(() => undefined);
  await engine.close();
  logger.info('http.stopped');
};
if (worker) {
  await worker.done;
  logger.info('generator.stopped', worker.stats() as unknown as Record<string, unknown>);
  await stopHttp();
} else {
  const stop = () => void stopHttp().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
