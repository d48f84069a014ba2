/**
 * The whole system for fault tests: the S3 + SQS emulator on a random loopback port (optionally
 * persistent, so it can be restarted mid-run), bootstrapped with short visibility timeouts; the
 * gateway app (createApp with emulator-backed deps, driven through app.request()); and the workers
 * (generator, judge, trainer, events) as real processes, each behind its own fault proxy.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrap, createObjectStore, createQueue, startEmulator, type CloudConfig, type Emulator, type ObjectStore, type Queue, type QueueKind } from '@sppo/cloud';
import { createApp, depsFromEnv, hashApiKey, type GatewayDeps } from '@sppo/gateway';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import { SERVICE_NAMES, startProcessGroup, type ProcessGroup, type ServiceName } from './processes.ts';

export const QUEUE_KINDS: readonly QueueKind[] = ['generate', 'judge', 'train', 'events'];

export interface SystemOptions {
  /** Visibility timeout of every queue and every worker (seconds): a killed worker's message is back this soon. */
  visibilitySeconds?: number;
  maxReceiveCount?: number;
  /** Keep the emulator's state on disk (SQLite), so restartEmulator() continues where it stopped. */
  persistent?: boolean;
  /** Services started at once (others with start()). */
  services?: readonly ServiceName[];
}

export interface GatewayCall {
  status: number;
  body: Record<string, unknown>;
  text: string;
  headers: Headers;
}

export interface System {
  config: CloudConfig;
  emulator: Emulator;
  objects: ObjectStore;
  queues: Record<QueueKind, Queue>;
  dlqs: Record<QueueKind, Queue>;
  proxies: Record<ServiceName, FaultProxy>;
  processes: ProcessGroup;
  /** API keys of two tenants, random per system (so the log scan can look for them). */
  apiKeys: { acme: string; globex: string };
  /** The AWS secret the gateway signs with (random per system; must never be logged). */
  awsSecret: string;
  app: ReturnType<typeof createApp>;
  /** Lines the gateway logged (its logger writes here, not to the console). */
  gatewayLogs: string[];
  call(method: string, path: string, options?: { tenant?: 'acme' | 'globex' | null; body?: unknown; headers?: Record<string, string> }): Promise<GatewayCall>;
  start(name: ServiceName): void;
  kill(name: ServiceName, signal?: NodeJS.Signals): Promise<void>;
  restartEmulator(options?: { downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export async function startSystem({ visibilitySeconds = 3, maxReceiveCount = 3, persistent = false, services = SERVICE_NAMES }: SystemOptions = {}): Promise<System> {
  const work = await mkdtemp(join(tmpdir(), 'sppo-faults-'));
  const dataDir = persistent ? join(work, 'emulator') : undefined;
  let emulator = await startEmulator({ port: 0, ...(dataDir === undefined ? {} : { dataDir }) });
  const config: CloudConfig = { region: 'us-east-1', bucket: 'sppo-faults', queuePrefix: `f${randomUUID().slice(0, 8)}`, endpoint: emulator.endpoint };
  await bootstrap(config, {
    maxReceiveCount,
    visibilityTimeouts: { generate: visibilitySeconds, judge: visibilitySeconds, train: visibilitySeconds, events: visibilitySeconds },
  });

  const proxies = {} as Record<ServiceName, FaultProxy>;
  for (const name of SERVICE_NAMES) proxies[name] = await startFaultProxy({ target: () => emulator.endpoint, bucket: config.bucket });

  const apiKeys = { acme: `sk-acme-${randomBytes(12).toString('hex')}`, globex: `sk-globex-${randomBytes(12).toString('hex')}` };
  const awsSecret = `aws-secret-${randomBytes(16).toString('hex')}`;
  const gatewayLogs: string[] = [];
  const logger = {
    info: (event: string, fields?: Record<string, unknown>) => void gatewayLogs.push(JSON.stringify({ level: 'info', event, ...fields })),
    warn: (event: string, fields?: Record<string, unknown>) => void gatewayLogs.push(JSON.stringify({ level: 'warn', event, ...fields })),
    error: (event: string, fields?: Record<string, unknown>) =>
      void gatewayLogs.push(JSON.stringify({ level: 'error', event, ...fields }, (_k, v: unknown) => (v instanceof Error ? { name: v.name, message: v.message, stack: v.stack } : v))),
  };
  const gatewayEnv = {
    SPPO_BUCKET: config.bucket,
    SPPO_REGION: config.region,
    SPPO_AWS_ENDPOINT: emulator.endpoint,
    SPPO_QUEUE_PREFIX: config.queuePrefix ?? 'sppo',
    AWS_ACCESS_KEY_ID: 'AKIDFAULTSUITE',
    AWS_SECRET_ACCESS_KEY: awsSecret,
    SPPO_API_KEYS: JSON.stringify([
      { tenant: 'acme', key_sha256: await hashApiKey(apiKeys.acme) },
      { tenant: 'globex', key_sha256: await hashApiKey(apiKeys.globex) },
    ]),
    // The fault and fuzz suites call the app hundreds of times a second: the per-tenant limits
    // (issue 18, tests/load/) are off here.
    SPPO_LIMIT_RUNNING_RUNS: '0',
    SPPO_LIMIT_REQUESTS_PER_MINUTE: '0',
  };
  const deps: GatewayDeps = depsFromEnv(gatewayEnv, { logger });
  const app = createApp({ resolveDeps: () => deps, logger });

  const processes = startProcessGroup();
  const serviceEnv = (name: ServiceName): Record<string, string> => ({
    SPPO_AWS_ENDPOINT: proxies[name].url,
    SPPO_BUCKET: config.bucket,
    SPPO_QUEUE_PREFIX: config.queuePrefix ?? 'sppo',
    AWS_REGION: config.region,
    SPPO_VISIBILITY_TIMEOUT_SECONDS: String(visibilitySeconds),
    SPPO_MAX_RECEIVE_COUNT: String(maxReceiveCount),
    SPPO_GENERATOR_CACHE_DIR: join(work, 'cache', 'generator'),
    SPPO_JUDGE_CACHE_DIR: join(work, 'cache', 'judge'),
    SPPO_TRAINER_CACHE_DIR: join(work, 'cache', 'trainer'),
    SPPO_TRAINER_THREADS: '1',
    SPPO_JUDGE_THREADS: '1',
    SPPO_EVENTS_CONCURRENCY: '4',
    AWS_SECRET_ACCESS_KEY: awsSecret,
  });
  for (const name of services) processes.start(name, serviceEnv(name));

  const queues = Object.fromEntries(QUEUE_KINDS.map((k) => [k, createQueue(config, k)])) as Record<QueueKind, Queue>;
  const dlqs = Object.fromEntries(QUEUE_KINDS.map((k) => [k, createQueue(config, k, { deadLetter: true })])) as Record<QueueKind, Queue>;

  return {
    config,
    get emulator() {
      return emulator;
    },
    objects: createObjectStore(config),
    queues,
    dlqs,
    proxies,
    processes,
    apiKeys,
    awsSecret,
    app,
    gatewayLogs,
    async call(method, path, { tenant = 'acme', body, headers = {} } = {}) {
      const init: RequestInit = { method, headers: { ...(tenant === null ? {} : { authorization: `Bearer ${apiKeys[tenant]}` }), ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        init.headers = { 'content-type': 'application/json', ...(init.headers as Record<string, string>) };
      }
      const res = await app.request(path, init);
      const text = await res.text();
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // not JSON: the caller asserts on `text`
      }
      return { status: res.status, body: parsed, text, headers: res.headers };
    },
    start: (name) => void processes.start(name, serviceEnv(name)),
    kill: (name, signal) => processes.kill(name, signal),
    async restartEmulator({ downMs = 1_500 } = {}) {
      if (dataDir === undefined) throw new Error('restartEmulator needs startSystem({ persistent: true })');
      const port = emulator.port;
      // Cut the workers' long polls first: the emulator's close waits for open requests.
      for (const proxy of Object.values(proxies)) proxy.interrupt();
      await emulator.stop();
      await new Promise((r) => setTimeout(r, downMs));
      emulator = await startEmulator({ port, dataDir });
    },
    async stop() {
      await processes.stopAll();
      for (const proxy of Object.values(proxies)) await proxy.stop();
      await emulator.stop();
      await rm(work, { recursive: true, force: true });
    },
  };
}
