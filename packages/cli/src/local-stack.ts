// The whole system on loopback, no cloud account: the S3 + SQS emulator (bootstrapped, state on
// disk), the gateway (HTTP API) and the events worker (the round state machine host) in this
// process, and one process per stage service (services/<svc>/src/main.ts). `./sppo up` runs it in
// the foreground with the processes' logs on this terminal; `./sppo demo` and the tests run it
// quietly with every process logging to a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLogger, createObjectStore, DEFAULT_LOCAL_BUCKET, DEFAULT_QUEUE_PREFIX, DEFAULT_REGION, startLocalCloud, type ObjectStore } from '@sppo/cloud';
import { createConsoleLogger, hashApiKey, startEventsWorker, startGatewayServer } from '@sppo/gateway';
import { UsageError } from './errors.ts';
import { workspaceRoot } from './paths.ts';

export const STAGE_SERVICES = ['generator', 'judge', 'trainer'] as const;

export interface LocalStackOptions {
  /** The emulator's state (SQLite + objects): kept across restarts. */
  dataDir: string;
  /** A folder for one `<process>.log` each; absent: the processes log to this terminal. */
  logDir?: string;
  /** The services' local caches (checkpoints, judges); absent: each service's default. */
  cacheDir?: string;
  /** 0 = any free port. */
  port?: number;
  emulatorPort?: number;
  tenant?: string;
  /** Generated when absent. */
  apiKey?: string;
  /** More tenants with their keys (tests of tenancy: each sees only its own runs). */
  otherTenants?: readonly { tenant: string; apiKey: string }[];
  queuePrefix?: string;
  services?: readonly string[];
  /** What a missing services/<svc>/src/main.ts does: stop with a usage error, or warn and go on without it. */
  missingService?: 'fail' | 'warn';
}

export interface LocalStack {
  gatewayUrl: string;
  /** The dashboard, signed in with `apiKey` (the key is in the fragment: it never reaches a server log). */
  dashboardUrl: string;
  emulatorEndpoint: string;
  apiKey: string;
  tenant: string;
  store: ObjectStore;
  close(): Promise<void>;
}

/** The gateway's dashboard with a sign-in link: `{gateway}/#key={key}` (see the gateway README). */
export function dashboardUrl(gatewayUrl: string, apiKey: string): string {
  return `${gatewayUrl.replace(/\/+$/, '')}/#key=${encodeURIComponent(apiKey)}`;
}

export async function startLocalStack({
  dataDir,
  logDir,
  cacheDir,
  port = 0,
  emulatorPort = 0,
  tenant = 'local',
  apiKey = randomBytes(24).toString('hex'),
  otherTenants = [],
  queuePrefix = DEFAULT_QUEUE_PREFIX,
  services = STAGE_SERVICES,
  missingService = 'fail',
}: LocalStackOptions): Promise<LocalStack> {
  const root = workspaceRoot();
  const logger = createLogger({ service: 'stack' });
  const entries = services.filter((service) => {
    const entry = join(root, 'services', service, 'src', 'main.ts');
    if (existsSync(entry)) return true;
    if (missingService === 'fail') throw new UsageError(`services/${service}/src/main.ts is missing: the ${service} service is needed`);
    logger.warn('stack.service_missing', { service, hint: `${service} not started: runs will wait at its stage` });
    return false;
  });

  const logs: WriteStream[] = [];
  if (logDir !== undefined) await mkdir(logDir, { recursive: true });
  const logFile = (name: string): WriteStream | undefined => {
    if (logDir === undefined) return undefined;
    const stream = createWriteStream(join(logDir, `${name}.log`), { flags: 'a' });
    logs.push(stream);
    return stream;
  };

  const { emulator, config } = await startLocalCloud({ port: emulatorPort, host: '127.0.0.1', dataDir, config: { region: DEFAULT_REGION, bucket: DEFAULT_LOCAL_BUCKET, queuePrefix } });
  const serviceEnv: Record<string, string> = {
    SPPO_AWS_ENDPOINT: emulator.endpoint,
    SPPO_BUCKET: config.bucket,
    SPPO_QUEUE_PREFIX: config.queuePrefix ?? queuePrefix,
    AWS_REGION: config.region,
    ...(cacheDir === undefined
      ? {}
      : { SPPO_GENERATOR_CACHE_DIR: join(cacheDir, 'generator'), SPPO_JUDGE_CACHE_DIR: join(cacheDir, 'judge'), SPPO_TRAINER_CACHE_DIR: join(cacheDir, 'trainer') }),
  };
  const gatewayLog = logFile('gateway');
  const gateway = await startGatewayServer({
    port,
    env: {
      ...serviceEnv,
      SPPO_REGION: config.region,
      SPPO_API_KEYS: JSON.stringify(await Promise.all([{ tenant, apiKey }, ...otherTenants].map(async (t) => ({ tenant: t.tenant, key_sha256: await hashApiKey(t.apiKey) })))),
    },
    ...(gatewayLog ? { logger: createConsoleLogger('gateway', (_level, line) => gatewayLog.write(`${line}\n`)) } : {}),
  });
  const eventsLog = logFile('events');
  const events = startEventsWorker({
    config,
    handleSignals: false,
    waitTimeSeconds: 1,
    ...(eventsLog ? { logger: createLogger({ service: 'events', write: (line: string) => eventsLog.write(line.endsWith('\n') ? line : `${line}\n`) }) } : {}),
  });

  const stackLog = logFile('stack');
  const children: ChildProcess[] = entries.map((service) => {
    const out = logFile(service);
    const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', join(root, 'services', service, 'src', 'main.ts')], {
      cwd: root,
      env: { ...process.env, ...serviceEnv },
      stdio: ['ignore', out ? 'pipe' : 'inherit', out ? 'pipe' : 'inherit'],
    });
    if (out) {
      child.stdout?.pipe(out, { end: false });
      child.stderr?.pipe(out, { end: false });
    }
    child.once('exit', (code, signal) => stackLog?.write(`${service} exited (code ${code}, signal ${signal})\n`));
    return child;
  });
  stackLog?.write(`emulator ${emulator.endpoint}, gateway ${gateway.url}\n`);

  return {
    gatewayUrl: gateway.url,
    dashboardUrl: dashboardUrl(gateway.url, apiKey),
    emulatorEndpoint: emulator.endpoint,
    apiKey,
    tenant,
    store: createObjectStore(config),
    close: async () => {
      const running = (child: ChildProcess): boolean => child.exitCode === null && child.signalCode === null;
      for (const child of children) if (running(child)) child.kill('SIGTERM');
      await Promise.all(children.map((child) => (running(child) ? new Promise((r) => child.once('exit', r)) : undefined)));
      await events.stop();
      await gateway.close();
      await emulator.stop();
      await Promise.all(logs.map((s) => new Promise((r) => s.end(r))));
    },
  };
}
