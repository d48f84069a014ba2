// `node packages/cloud/src/emulator-main.ts [--port=4566] [--host=127.0.0.1] [--data-dir=.sppo/emulator]`
// Starts the local S3 + SQS emulator, bootstraps the bucket and queues, prints the endpoint as
// the first stdout line (for scripts) and a JSON log line on stderr, and stops on SIGINT/SIGTERM.
// Environment fallbacks: SPPO_EMULATOR_PORT, SPPO_EMULATOR_HOST, SPPO_EMULATOR_DATA_DIR, plus
// SPPO_BUCKET / SPPO_QUEUE_PREFIX / AWS_REGION for the names bootstrap creates.
import { parseArgs } from 'node:util';
import { bootstrap } from './bootstrap.ts';
import { DEFAULT_LOCAL_BUCKET, DEFAULT_QUEUE_PREFIX, DEFAULT_REGION, type CloudConfig } from './config.ts';
import { startEmulator, type Emulator } from './emulator.ts';
import { createLogger } from './logger.ts';

export interface EmulatorMainOptions {
  port: number;
  host: string;
  dataDir?: string;
  config: CloudConfig;
}

export function parseEmulatorArgs(argv: string[], env: Record<string, string | undefined> = process.env): EmulatorMainOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
    },
    strict: true,
  });
  const portText = values.port ?? env.SPPO_EMULATOR_PORT ?? '4566';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port "${portText}" is invalid: use an integer from 0 (any free port) to 65535`);
  }
  const dataDir = values['data-dir'] ?? env.SPPO_EMULATOR_DATA_DIR;
  return {
    port,
    host: values.host ?? env.SPPO_EMULATOR_HOST ?? '127.0.0.1',
    ...(dataDir ? { dataDir } : {}),
    config: {
      region: env.AWS_REGION || DEFAULT_REGION,
      bucket: env.SPPO_BUCKET || DEFAULT_LOCAL_BUCKET,
      queuePrefix: env.SPPO_QUEUE_PREFIX || DEFAULT_QUEUE_PREFIX,
    },
  };
}

/** Starts and bootstraps the emulator; resolves with it running. */
export async function startLocalCloud(options: EmulatorMainOptions): Promise<{ emulator: Emulator; config: CloudConfig }> {
  const emulator = await startEmulator({
    port: options.port,
    host: options.host,
    ...(options.dataDir !== undefined && { dataDir: options.dataDir }),
  });
  const config: CloudConfig = { ...options.config, endpoint: emulator.endpoint };
  try {
    await bootstrap(config);
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  return { emulator, config };
}

async function main(): Promise<void> {
  const logger = createLogger({ service: 'emulator' });
  let options: EmulatorMainOptions;
  try {
    options = parseEmulatorArgs(process.argv.slice(2));
  } catch (error) {
    logger.error('emulator.bad_arguments', { error });
    process.exitCode = 2;
    return;
  }
  const { emulator, config } = await startLocalCloud(options);
  process.stdout.write(`${emulator.endpoint}\n`);
  logger.info('emulator.ready', {
    endpoint: emulator.endpoint,
    bucket: config.bucket,
    queue_prefix: config.queuePrefix,
    data_dir: options.dataDir ?? null,
    hint: `export SPPO_AWS_ENDPOINT=${emulator.endpoint}`,
  });
  const shutdown = (signal: string) => {
    logger.info('emulator.stopping', { signal });
    void emulator.stop().then(() => logger.info('emulator.stopped'));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    createLogger({ service: 'emulator' }).error('emulator.failed', { error });
    process.exitCode = 1;
  });
}
