// The gateway's middleware, hono style: each a factory taking a typed options object with
// defaults in the signature and returning a named function.
import type { MiddlewareHandler } from 'hono';
import { jsonDepth } from '@sppo/core';
import { ApiError } from './errors.ts';
import type { GatewayDeps, GatewayEnv } from './context.ts';
import { hashApiKey, tenantForDigest } from '../tenants.ts';

/** Tags every response with `x-request-id` (a fresh UUID; an incoming one is not trusted). */
export function requestId({ header = 'x-request-id' }: { header?: string } = {}): MiddlewareHandler<GatewayEnv> {
  return async function requestIdMiddleware(c, next) {
    const id = crypto.randomUUID();
    c.set('requestId', id);
    await next();
    c.res.headers.set(header, id);
  };
}

/** Puts the request's dependencies on the context; `resolve` may throw GatewayConfigError. */
export function withDeps({ resolve }: { resolve: (bindings: Record<string, unknown>) => GatewayDeps }): MiddlewareHandler<GatewayEnv> {
  return async function withDepsMiddleware(c, next) {
    c.set('deps', resolve((c.env ?? {}) as Record<string, unknown>));
    await next();
  };
}

/**
 * `Authorization: Bearer <key>`: the key's SHA-256 is looked up in SPPO_API_KEYS and its tenant
 * put on the context. Missing or unknown keys get 401 with `WWW-Authenticate: Bearer`.
 */
export function apiKeyAuth({ scheme = 'Bearer' }: { scheme?: string } = {}): MiddlewareHandler<GatewayEnv> {
  return async function apiKeyAuthMiddleware(c, next) {
    const header = c.req.header('authorization') ?? '';
    const match = new RegExp(`^${scheme}\\s+(\\S+)\\s*$`, 'i').exec(header);
    if (match?.[1] === undefined) {
      throw new ApiError(401, 'unauthorized', `missing API key: send "Authorization: ${scheme} <your key>"`);
    }
    const digest = await hashApiKey(match[1]);
    const tenant = tenantForDigest(digest, c.get('deps').apiKeys);
    if (tenant === null) throw new ApiError(401, 'unauthorized', 'unknown API key: check the key, or ask the operator to add its SHA-256 to SPPO_API_KEYS');
    c.set('tenant', tenant);
    c.set('apiKeyHash', digest);
    await next();
  };
}

/**
 * How deeply a request body may nest. Every body of this API nests a few levels (a run config's
 * prompts[i].prompt is 3); validators walk values recursively, so a small body nested thousands
 * deep would overflow the stack (a 500). Deeper bodies get a 400 naming this limit.
 */
export const MAX_JSON_DEPTH = 64;

/**
 * Reads a JSON body: 415 unless the content type is JSON, 400 with the parser's message if
 * malformed or nested deeper than `maxDepth`. With `optional`, an empty body reads as undefined
 * whatever its content type.
 */
export async function readJsonBody(
  c: { req: { header(name: string): string | undefined; text(): Promise<string> } },
  { optional = false, maxDepth = MAX_JSON_DEPTH }: { optional?: boolean; maxDepth?: number } = {},
): Promise<unknown> {
  const text = await c.req.text();
  if (optional && text.trim() === '') return undefined;
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
    throw new ApiError(415, 'unsupported_media_type', `expected "Content-Type: application/json", got ${type === '' ? 'none' : `"${type}"`}`);
  }
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message}`);
  }
  if (jsonDepth(body, maxDepth) > maxDepth) {
    throw new ApiError(400, 'invalid_json', `the body nests arrays and objects more than ${maxDepth} levels deep; no request of this API needs more than a few`);
  }
  return body;
}
