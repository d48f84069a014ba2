/**
 * The stack `./sppo up` runs (packages/cli/src/local-stack.ts), from the same entry files, but one
 * operating-system process each: the emulator (packages/cloud emulator-main.ts), the Node gateway
 * (services/gateway/src/node.ts, over real HTTP on loopback), the events worker and the generator,
 * judge and trainer. `./sppo up` keeps the emulator, gateway and events worker in one process; here
 * each has its own, so each one's RSS and CPU are its own and the load generator (this process)
 * does not share an event loop with what it measures. Every process binds 127.0.0.1 only.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createObjectStore, createQueue, type CloudConfig, type ObjectStore, type Queue, type QueueKind } from '@sppo/cloud';
import { hashApiKey } from '@sppo/gateway';
import { startProcessGroup, type ProcessGroup, type ProcessName } from '../../helpers/processes.ts';

export const QUEUE_KINDS: readonly QueueKind[] = ['generate', 'judge', 'train', 'events'];
export const WORKERS = ['events', 'generator', 'judge', 'trainer'] as const;

export interface LoadStackOptions {
  /** Tenant names; each gets a random API key. */
  tenants: readonly string[];
  /** Gateway settings on top of the stack's (e.g. SPPO_LIMIT_*). */
  gatewayEnv?: Record<string, string>;
  /** Which workers to start (none for an API-only stack). */
  workers?: readonly (typeof WORKERS)[number][];
  /** Seconds between the events worker's `events.progress` lines. */
  progressIntervalSeconds?: number;
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
  ms: number;
}

export interface LoadStack {
  gatewayUrl: string;
  config: CloudConfig;
  objects: ObjectStore;
  queues: Record<QueueKind, Queue>;
  dlqs: Record<QueueKind, Queue>;
  processes: ProcessGroup;
  apiKeys: Record<string, string>;
  /** One call to the gateway over HTTP as `tenant`. */
  call(tenant: string, method: string, path: string, body?: unknown): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

async function firstUrl(processes: ProcessGroup, name: ProcessName, timeoutMs = 60_000): Promise<string> {
  const line = await processes.waitForLog((l) => l.service === name && /^http:\/\/127\.0\.0\.1:\d+/.test(l.text), timeoutMs, `the ${name} URL`);
  return line.text.trim();
}

export async function startLoadStack({ tenants, gatewayEnv = {}, workers = WORKERS, progressIntervalSeconds = 1 }: LoadStackOptions): Promise<LoadStack> {
  const work = await mkdtemp(join(tmpdir(), 'sppo-load-'));
  const processes = startProcessGroup();
  const base = { SPPO_BUCKET: 'sppo-load', SPPO_QUEUE_PREFIX: `l${randomUUID().slice(0, 8)}`, AWS_REGION: 'us-east-1' };
  try {
    processes.start('emulator', { ...base, SPPO_EMULATOR_PORT: '0', SPPO_EMULATOR_HOST: '127.0.0.1' });
    const endpoint = await firstUrl(processes, 'emulator');
    const config: CloudConfig = { region: base.AWS_REGION, bucket: base.SPPO_BUCKET, queuePrefix: base.SPPO_QUEUE_PREFIX, endpoint };

    const apiKeys = Object.fromEntries(tenants.map((t) => [t, `sk-${t}-${randomBytes(12).toString('hex')}`]));
    const keyList = await Promise.all(tenants.map(async (tenant) => ({ tenant, key_sha256: await hashApiKey(apiKeys[tenant] as string) })));
    processes.start('gateway', {
      ...base,
      SPPO_AWS_ENDPOINT: endpoint,
      SPPO_REGION: base.AWS_REGION,
      SPPO_API_KEYS: JSON.stringify(keyList),
      SPPO_GATEWAY_PORT: '0',
      SPPO_GATEWAY_HOST: '127.0.0.1',
      ...gatewayEnv,
    });
    const gatewayUrl = await firstUrl(processes, 'gateway');

    const workerEnv = {
      ...base,
      SPPO_AWS_ENDPOINT: endpoint,
      SPPO_GENERATOR_CACHE_DIR: join(work, 'cache', 'generator'),
      SPPO_JUDGE_CACHE_DIR: join(work, 'cache', 'judge'),
      SPPO_TRAINER_CACHE_DIR: join(work, 'cache', 'trainer'),
      SPPO_TRAINER_THREADS: '1',
      SPPO_JUDGE_THREADS: '1',
      SPPO_PROGRESS_INTERVAL_SECONDS: String(progressIntervalSeconds),
    };
    for (const name of workers) processes.start(name, workerEnv);

    const queues = Object.fromEntries(QUEUE_KINDS.map((k) => [k, createQueue(config, k)])) as Record<QueueKind, Queue>;
    const dlqs = Object.fromEntries(QUEUE_KINDS.map((k) => [k, createQueue(config, k, { deadLetter: true })])) as Record<QueueKind, Queue>;
    return {
      gatewayUrl,
      config,
      objects: createObjectStore(config),
      queues,
      dlqs,
      processes,
      apiKeys,
      async call(tenant, method, path, body) {
        const started = performance.now();
        const res = await fetch(`${gatewayUrl}${path}`, {
          method,
          headers: { authorization: `Bearer ${apiKeys[tenant]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const text = await res.text();
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // not JSON
        }
        return { status: res.status, body: parsed, headers: res.headers, ms: performance.now() - started };
      },
      async stop() {
        // Workers first (they drain in flight), then the gateway, then the emulator they all use.
        const within = (p: Promise<void>) => Promise.race([p, new Promise<void>((r) => setTimeout(r, 5_000))]);
        await within(Promise.all(workers.map((name) => processes.kill(name, 'SIGTERM'))).then(() => undefined));
        await within(processes.kill('gateway', 'SIGTERM'));
        await processes.stopAll();
        await rm(work, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await processes.stopAll();
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}
