/**
 * The gateway's Hono app, runtime-agnostic: the Workers entry (worker.ts) and the Node entry
 * (node.ts) wrap this same app and differ only in where the environment comes from.
 *
 *   GET  /health/live, /health/ready, /openapi.json              (no auth)
 *   GET  /, /runs, /runs/{id}, /runs/{id}/rounds/{t}/samples, /assets/*   (the dashboard: page
 *        shells and their script, no auth; the script calls /v1 with the key the user signs in with)
 *   GET  /v1/me, POST /v1/runs, GET /v1/runs, GET /v1/runs/{id}, GET /v1/runs/{id}/rounds/{t},
 *   GET  /v1/runs/{id}/rounds/{t}/samples,
 *   POST /v1/runs/{id}/prompts | cancel | resume                  (Bearer API key, per tenant)
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { buildOpenApiDocument } from './api/openapi.ts';
import { dashboardRoutes } from './dashboard/routes.ts';
import { cachedDepsFromEnv } from './deps.ts';
import type { GatewayDeps, GatewayEnv } from './http/context.ts';
import { ApiError, toErrorResponse } from './http/errors.ts';
import { rateLimit } from './http/limits.ts';
import { apiKeyAuth, requestId, withDeps } from './http/middleware.ts';
import { createConsoleLogger, type Logger } from './ports.ts';
import { healthRoutes } from './routes/health.ts';
import { runRoutes } from './routes/runs.ts';

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;

export interface AppOptions {
  /** The request's dependencies from the runtime's bindings; default: read them from the env (deps.ts). */
  resolveDeps?: (bindings: Record<string, unknown>) => GatewayDeps;
  /** Larger bodies get 413 (inline prompts beyond this belong in a JSONL object: { key }). */
  bodyLimitBytes?: number;
  /** For errors raised before the dependencies exist. */
  logger?: Logger;
}

export function createApp({ resolveDeps, bodyLimitBytes = DEFAULT_BODY_LIMIT_BYTES, logger = createConsoleLogger() }: AppOptions = {}): Hono<GatewayEnv> {
  const resolve = resolveDeps ?? cachedDepsFromEnv({ logger });
  const app = new Hono<GatewayEnv>();
  const openapi = buildOpenApiDocument();

  app.use('*', requestId());
  app.route('/health', healthRoutes({ resolveDeps: resolve }));
  app.get('/openapi.json', (c) => c.json(openapi, 200));
  app.route('/', dashboardRoutes());

  app.use(
    '/v1/*',
    bodyLimit({
      maxSize: bodyLimitBytes,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `the body is over ${bodyLimitBytes} bytes: put large prompt lists in a JSONL object under your tenant area and pass { "prompts": { "key": "..." } }`);
      },
    }),
    withDeps({ resolve }),
    apiKeyAuth(),
    rateLimit(),
  );
  app.get('/v1/me', (c) => c.json({ tenant: c.get('tenant') }, 200));
  app.route('/v1/runs', runRoutes());

  app.notFound(() => {
    throw new ApiError(404, 'not_found', 'no such route: see GET /openapi.json for the API');
  });
  app.onError((error, c) => toErrorResponse(error, c, c.var.deps?.logger ?? logger));
  return app;
}
