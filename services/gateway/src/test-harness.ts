// Test support (not part of the public API): a real emulator (packages/cloud's startTestCloud on a
// random port) with the gateway wired to it exactly as in production, through environment
// variables and the aws4fetch adapters. Queues are read back with @sppo/cloud to check what the
// gateway and the automation enqueued.
import { createObjectStore, createQueue, startTestCloud, type ObjectStore, type Queue, type TestCloud } from '@sppo/cloud';
import type { Hono } from 'hono';
import { createApp } from './app.ts';
import { depsFromEnv } from './deps.ts';
import type { GatewayDeps, GatewayEnv } from './http/context.ts';
import { QUEUE_KINDS, silentLogger, type QueueKind } from './ports.ts';
import { hashApiKey } from './tenants.ts';
import type { AutomationDeps } from './automation/execute.ts';

export const TENANTS = { acme: 'key-acme-0123456789', globex: 'key-globex-0123456789' } as const;

export interface Harness {
  cloud: TestCloud;
  env: Record<string, string>;
  deps: GatewayDeps;
  automation: AutomationDeps;
  app: Hono<GatewayEnv>;
  /** Direct S3 access (the test plays generator, judge and trainer). */
  objects: ObjectStore;
  queues: Record<QueueKind, Queue>;
  /** Receives (and acks) every message now in a queue, parsed. */
  drain(kind: QueueKind): Promise<Record<string, unknown>[]>;
  /** An app.request() with the tenant's key and JSON body. */
  call(method: string, path: string, options?: { tenant?: keyof typeof TENANTS | null; body?: unknown; headers?: Record<string, string> }): Promise<Response>;
  stop(): Promise<void>;
}

export async function envFor(cloud: TestCloud): Promise<Record<string, string>> {
  const keys = await Promise.all(Object.entries(TENANTS).map(async ([tenant, key]) => ({ tenant, key_sha256: await hashApiKey(key) })));
  const env: Record<string, string> = {
    SPPO_BUCKET: cloud.config.bucket,
    SPPO_REGION: 'us-east-1',
    SPPO_AWS_ENDPOINT: cloud.emulator.endpoint,
    SPPO_API_KEYS: JSON.stringify(keys),
    // Tests that are not about limits create many runs and call quickly: limits off (http/limits.test.ts
    // sets its own).
    SPPO_LIMIT_RUNNING_RUNS: '0',
    SPPO_LIMIT_REQUESTS_PER_MINUTE: '0',
  };
  for (const kind of QUEUE_KINDS) env[`SPPO_QUEUE_URL_${kind.toUpperCase()}`] = cloud.resources.queues[kind].url;
  return env;
}

export async function startHarness(): Promise<Harness> {
  const cloud = await startTestCloud();
  const env = await envFor(cloud);
  const deps = depsFromEnv(env, { logger: silentLogger });
  const app = createApp({ resolveDeps: () => deps, logger: silentLogger });
  const queues = Object.fromEntries(QUEUE_KINDS.map((kind) => [kind, createQueue(cloud.config, kind)])) as Record<QueueKind, Queue>;
  return {
    cloud,
    env,
    deps,
    automation: { store: deps.store, queues: deps.queues, logger: silentLogger },
    app,
    objects: createObjectStore(cloud.config),
    queues,
    async drain(kind) {
      const out: Record<string, unknown>[] = [];
      for (;;) {
        const batch = await queues[kind].receive({ maxMessages: 10, waitTimeSeconds: 0 });
        if (batch.length === 0) return out;
        await Promise.all(batch.map((m) => queues[kind].ack(m)));
        out.push(...batch.map((m) => JSON.parse(m.body) as Record<string, unknown>));
      }
    },
    call(method, path, { tenant = 'acme', body, headers = {} } = {}) {
      const init: RequestInit = { method, headers: { ...(tenant === null ? {} : { authorization: `Bearer ${TENANTS[tenant]}` }), ...headers } };
      if (body !== undefined) {
        init.body = typeof body === 'string' ? body : JSON.stringify(body);
        init.headers = { 'content-type': 'application/json', ...(init.headers as Record<string, string>) };
      }
      return Promise.resolve(app.request(path, init));
    },
    stop: () => cloud.stop(),
  };
}
