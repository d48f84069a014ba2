// `./sppo up`: the whole system on loopback, no cloud account: the S3 + SQS emulator (bootstrapped),
// the gateway (HTTP API) and the events worker (the round state machine host) in this process, and
// one worker of each service (services/<svc>/src/main.ts) as child processes. Prints the gateway URL
// and an API key, then runs until Ctrl-C.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger, DEFAULT_LOCAL_BUCKET, DEFAULT_QUEUE_PREFIX, DEFAULT_REGION, startLocalCloud } from '@sppo/cloud';
import { hashApiKey, startEventsWorker, startGatewayServer } from '@sppo/gateway';
import { parseArgs, rejectUnknown } from '../args.ts';
import { UsageError } from '../errors.ts';
import { workspaceRoot } from '../paths.ts';

const USAGE = './sppo up [--port=8787] [--emulator-port=4566] [--data-dir=.data/emulator] [--tenant=local] [--api-key=KEY]';
const OPTIONS = ['port', 'emulator-port', 'data-dir', 'tenant', 'api-key'];
/** The stage workers, started when their entry exists. */
const SERVICES = ['generator', 'judge', 'trainer'] as const;

function portOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65_535) throw new UsageError(`--${name} must be a port number (0-65535, 0 = any free port), got ${JSON.stringify(value)}`);
  return port;
}

export async function runUp(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.flags.size > 0 || args.positionals.length > 0) throw new UsageError(`unexpected arguments. Usage: ${USAGE}`);
  rejectUnknown(args, OPTIONS);
  const root = workspaceRoot();
  const port = portOption(args.options.get('port'), 'port', 8787);
  const emulatorPort = portOption(args.options.get('emulator-port'), 'emulator-port', 4566);
  const dataDir = resolve(root, args.options.get('data-dir') ?? '.data/emulator');
  const tenant = args.options.get('tenant') ?? 'local';
  const apiKey = args.options.get('api-key') ?? process.env.SPPO_API_KEY ?? randomBytes(24).toString('hex');
  const logger = createLogger({ service: 'up' });

  const { emulator, config } = await startLocalCloud({
    port: emulatorPort,
    host: '127.0.0.1',
    dataDir,
    config: { region: DEFAULT_REGION, bucket: DEFAULT_LOCAL_BUCKET, queuePrefix: DEFAULT_QUEUE_PREFIX },
  });
  const serviceEnv: Record<string, string> = {
    SPPO_AWS_ENDPOINT: emulator.endpoint,
    SPPO_BUCKET: config.bucket,
    SPPO_QUEUE_PREFIX: config.queuePrefix ?? DEFAULT_QUEUE_PREFIX,
    AWS_REGION: config.region,
  };
  const gateway = await startGatewayServer({
    port,
    env: { ...serviceEnv, SPPO_REGION: config.region, SPPO_API_KEYS: JSON.stringify([{ tenant, key_sha256: await hashApiKey(apiKey) }]) },
  });
  const events = startEventsWorker({ config, handleSignals: false });

  const children: ChildProcess[] = [];
  for (const service of SERVICES) {
    const entry = join(root, 'services', service, 'src', 'main.ts');
    if (!existsSync(entry)) {
      logger.warn('up.service_missing', { service, entry: `services/${service}/src/main.ts`, hint: `${service} not started: runs will wait at its stage` });
      continue;
    }
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', entry], { cwd: root, env: { ...process.env, ...serviceEnv }, stdio: ['ignore', 'inherit', 'inherit'] });
    children.push(child);
  }

  console.log(`gateway   ${gateway.url}   (OpenAPI: ${gateway.url}/openapi.json)`);
  console.log(`emulator  ${emulator.endpoint}   (state in ${dataDir})`);
  console.log(`tenant    ${tenant}`);
  console.log(`export SPPO_GATEWAY_URL=${gateway.url} SPPO_API_KEY=${apiKey}`);
  console.log('then: ./sppo run recipe.yaml   (Ctrl-C stops everything)');

  await new Promise<void>((done) => {
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  logger.info('up.stopping', {});
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : undefined)));
  await events.stop();
  await gateway.close();
  await emulator.stop();
  return 0;
}
