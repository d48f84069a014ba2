// The Hono environment of the gateway: what middleware puts on the context for the routes.
import type { ApiStore, Logger, TaskQueues } from '../ports.ts';
import type { ApiKeyEntry } from '../tenants.ts';
import type { GatewayLimits } from './limits.ts';

/** Everything a request needs, built once per runtime from its environment (or given by tests). */
export interface GatewayDeps {
  store: ApiStore;
  queues: TaskQueues;
  apiKeys: readonly ApiKeyEntry[];
  logger: Logger;
  now: () => Date;
  /** Per-tenant limits (http/limits.ts); absent: nothing is limited. depsFromEnv always sets it. */
  limits?: GatewayLimits;
}

export interface GatewayEnv {
  /** Worker bindings (vars, secrets) on Workers; unused on Node. */
  Bindings: Record<string, unknown>;
  Variables: { deps: GatewayDeps; tenant: string; requestId: string; /** SHA-256 (hex) of the caller's API key. */ apiKeyHash: string };
}
