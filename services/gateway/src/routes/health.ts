// Liveness and readiness (application/health+json, draft-inadarei-api-health-check). Readiness
// checks that the configuration is valid and that the bucket and the four queues answer; a failing
// check is named in `checks` and turns the answer into 503.
import { Hono } from 'hono';
import type { z } from 'zod';
import type { healthCheckSchema, healthSchema } from '../api/schemas.ts';
import { GatewayConfigError } from '../config.ts';
import type { GatewayDeps, GatewayEnv } from '../http/context.ts';
import { QUEUE_KINDS } from '../ports.ts';

type Check = z.infer<typeof healthCheckSchema>;
type Health = z.infer<typeof healthSchema>;

const HEALTH_TYPE = { 'content-type': 'application/health+json', 'cache-control': 'no-store' };

async function timed(componentType: string, probe: () => Promise<void>): Promise<Check> {
  const started = Date.now();
  try {
    await probe();
    return { status: 'pass', componentType, time: new Date().toISOString() };
  } catch (error) {
    const e = error as Error;
    const output = e.name === 'TimeoutError' ? `no answer within the timeout (${Date.now() - started} ms)` : e.message;
    return { status: 'fail', componentType, time: new Date().toISOString(), output };
  }
}

export function healthRoutes({ resolveDeps }: { resolveDeps: (bindings: Record<string, unknown>) => GatewayDeps }): Hono<GatewayEnv> {
  const health = new Hono<GatewayEnv>();
  health.get('/live', (c) => c.json({ status: 'pass' } satisfies Health, 200, HEALTH_TYPE));
  health.get('/ready', async (c) => {
    let deps: GatewayDeps;
    try {
      deps = resolveDeps((c.env ?? {}) as Record<string, unknown>);
    } catch (error) {
      if (!(error instanceof GatewayConfigError)) throw error;
      const body: Health = {
        status: 'fail',
        checks: { config: [{ status: 'fail', componentType: 'system', time: new Date().toISOString(), output: `${error.problems.length} configuration problem(s): ${error.problems.map((p) => p.split(':')[0]).join('; ')}` }] },
      };
      return c.json(body, 503, HEALTH_TYPE);
    }
    const entries = await Promise.all([
      timed('datastore', () => deps.store.ping()).then((check) => ['s3:bucket', check] as const),
      ...QUEUE_KINDS.map((kind) => timed('queue', () => deps.queues.ping(kind)).then((check) => [`sqs:${kind}`, check] as const)),
    ]);
    const checks = Object.fromEntries(entries.map(([name, check]) => [name, [check]]));
    const failed = entries.some(([, check]) => check.status === 'fail');
    return c.json({ status: failed ? 'fail' : 'pass', checks } satisfies Health, failed ? 503 : 200, HEALTH_TYPE);
  });
  return health;
}
