// Builds the request dependencies from environment bindings (Worker env or process.env), once per
// bindings object: on Workers the env object lives as long as the isolate, so the clients (and
// their queue URL cache) are reused across requests.
import { createAwsQueues, createAwsStore, type AwsPortsOptions } from './adapters/aws.ts';
import { gatewayConfigFromEnv, type EnvLike } from './config.ts';
import type { GatewayDeps } from './http/context.ts';
import { createGatewayLimits } from './http/limits.ts';
import { createConsoleLogger, type Logger } from './ports.ts';

export function depsFromEnv(env: EnvLike, { logger = createConsoleLogger(), now = () => new Date(), aws = {} }: { logger?: Logger; now?: () => Date; aws?: AwsPortsOptions } = {}): GatewayDeps {
  const config = gatewayConfigFromEnv(env);
  // The limits' state (token buckets) lives as long as these deps: per process, per isolate on Workers.
  return { store: createAwsStore(config, aws), queues: createAwsQueues(config, aws), apiKeys: config.apiKeys, logger, now, limits: createGatewayLimits(config.limits) };
}

/** depsFromEnv with a per-bindings-object cache (configuration errors are not cached). */
export function cachedDepsFromEnv(options: Parameters<typeof depsFromEnv>[1] = {}): (env: EnvLike) => GatewayDeps {
  const cache = new WeakMap<object, GatewayDeps>();
  return function resolveDeps(env) {
    let deps = cache.get(env);
    if (deps === undefined) {
      deps = depsFromEnv(env, options);
      cache.set(env, deps);
    }
    return deps;
  };
}
