/**
 * Per-tenant limits (issue 18): one tenant must not starve the others of the shared workers or of
 * the gateway. Three limits, each answered with 429 and a code naming it:
 *
 *   rate_limit_exceeded              requests per API key (token bucket)     + Retry-After
 *   running_runs_limit_exceeded      running runs per tenant                 + Retry-After
 *   prompts_per_run_limit_exceeded   prompts in one run's pool               (no Retry-After:
 *                                    waiting cannot help, so a client that honours it must not loop)
 *
 * Where the state lives: the rate limiter is an in-memory token bucket per process on Node and per
 * isolate on Workers (deps are cached per isolate, deps.ts), so on Workers the effective limit is
 * the setting times the number of isolates serving a key. It sits behind the RateLimiter interface
 * so that a Durable Object (exact, one per key) or KV (approximate) implementation can replace it.
 * Running runs are counted from the run records the gateway already stores (runs/running.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { createRunningRunsCounter, type RunningRunsCounter } from '../runs/running.ts';
import type { GatewayEnv } from './context.ts';
import { ApiError, type LimitErrorCode } from './errors.ts';
import { LIMIT_VARIABLES, type LimitName, type LimitSettings } from './limit-settings.ts';

/** How long a tenant at its running-runs limit is asked to wait: a run takes minutes, a listing costs S3 calls. */
export const RUNNING_RUNS_RETRY_AFTER_SECONDS = 30;

/** `details` of a 429: which limit, its value, where the caller stands, and when to retry. */
export interface LimitDetails {
  limit: LimitName;
  allowed: number;
  /** Where the caller stands (running runs, pool size); absent for the request rate. */
  current?: number;
  retry_after_seconds?: number;
}

/** A 429 in the gateway's error shape; toErrorResponse adds Retry-After from `retryAfterSeconds`. */
export class LimitError extends ApiError {
  readonly retryAfterSeconds: number | undefined;
  constructor(code: LimitErrorCode, message: string, details: LimitDetails) {
    super(429, code, message, details);
    this.retryAfterSeconds = details.retry_after_seconds;
  }
}

// ---------------------------------------------------------------------------------------------
// Request rate per API key.

export interface RateDecision {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When denied: seconds until one token is back (at least 1). */
  retryAfterSeconds: number;
}

/**
 * Takes one request's token for `key`. Async so that a Durable Object or KV implementation fits;
 * the in-memory one answers at once.
 */
export interface RateLimiter {
  take(key: string): RateDecision | Promise<RateDecision>;
}

export interface TokenBucketOptions {
  /** Tokens added per minute. */
  perMinute: number;
  /** The bucket's size (a new key starts full). */
  burst: number;
  now?: () => number;
  /** Buckets kept before full ones are swept (a full bucket equals no entry). */
  maxKeys?: number;
}

/** The in-memory token bucket: per process on Node, per isolate on Workers. */
export function createTokenBucketLimiter({ perMinute, burst, now = () => Date.now(), maxKeys = 10_000 }: TokenBucketOptions): RateLimiter {
  const perMs = perMinute / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const refill = (bucket: { tokens: number; at: number }, t: number) => {
    bucket.tokens = Math.min(burst, bucket.tokens + (t - bucket.at) * perMs);
    bucket.at = t;
  };
  return {
    take(key) {
      const t = now();
      let bucket = buckets.get(key);
      if (bucket === undefined) {
        if (buckets.size >= maxKeys) {
          for (const [k, b] of buckets) {
            refill(b, t);
            if (b.tokens >= burst) buckets.delete(k);
          }
        }
        bucket = { tokens: burst, at: t };
        buckets.set(key, bucket);
      } else refill(bucket, t);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true, remaining: Math.floor(bucket.tokens), retryAfterSeconds: 0 };
      }
      return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
  };
}

/** What the gateway enforces, built once per process / isolate (deps.ts). */
export interface GatewayLimits {
  settings: LimitSettings;
  /** Absent when the request rate is not limited. */
  rateLimiter?: RateLimiter;
  runs: RunAdmission;
  /** Counts a tenant's running runs from S3 (runs/running.ts). */
  running: RunningRunsCounter;
}

export function createGatewayLimits(settings: LimitSettings, { rateLimiter }: { rateLimiter?: RateLimiter } = {}): GatewayLimits {
  const limiter = rateLimiter ?? (settings.requestsPerMinute > 0 ? createTokenBucketLimiter({ perMinute: settings.requestsPerMinute, burst: settings.requestBurst }) : undefined);
  return {
    settings,
    ...(limiter === undefined ? {} : { rateLimiter: limiter }),
    runs: createRunAdmission(settings.runningRunsPerTenant),
    running: createRunningRunsCounter(),
  };
}

/**
 * 429 `rate_limit_exceeded` once the caller's API key (its SHA-256, set by apiKeyAuth) has used its
 * bucket. Goes after apiKeyAuth: unknown keys are refused before they cost a bucket, so the
 * buckets are bounded by the configured keys. Rejections are logged at most once per key per
 * `logEveryMs`, with the count since the last line, so a flood does not flood the logs.
 */
export function rateLimit({ logEveryMs = 10_000 }: { logEveryMs?: number } = {}): MiddlewareHandler<GatewayEnv> {
  const lastLogged = new Map<string, { at: number; suppressed: number }>();
  return async function rateLimitMiddleware(c, next) {
    const { limits, logger } = c.get('deps');
    const limiter = limits?.rateLimiter;
    if (limits === undefined || limiter === undefined) return next();
    const key = c.get('apiKeyHash');
    const decision = await limiter.take(key);
    if (decision.allowed) return next();
    const { requestsPerMinute, requestBurst } = limits.settings;
    const now = Date.now();
    const seen = lastLogged.get(key);
    if (seen === undefined || now - seen.at >= logEveryMs) {
      logger.warn('limit.exceeded', { limit: 'requests_per_minute', tenant: c.get('tenant'), key_sha256_prefix: key.slice(0, 8), rejected_since_last_line: (seen?.suppressed ?? 0) + 1 });
      if (lastLogged.size > 10_000) lastLogged.clear();
      lastLogged.set(key, { at: now, suppressed: 0 });
    } else seen.suppressed += 1;
    throw new LimitError(
      'rate_limit_exceeded',
      `rate limit exceeded: an API key may make ${requestsPerMinute} requests a minute (bursts of ${requestBurst}); retry after ${decision.retryAfterSeconds} s (Retry-After), or ask the operator to raise ${LIMIT_VARIABLES.requestsPerMinute.variable}`,
      { limit: 'requests_per_minute', allowed: requestsPerMinute, retry_after_seconds: decision.retryAfterSeconds },
    );
  };
}

// ---------------------------------------------------------------------------------------------
// Running runs per tenant.

/**
 * Admission of new running runs (POST /v1/runs, resume). The count comes from S3 (the caller's
 * `count`); creations in flight in this process are added to it, so concurrent requests of one
 * tenant cannot all pass on the same count. A run written but not yet released is counted twice
 * for a moment: the error is on the strict side. Across processes / isolates the count is only as
 * fresh as the listing: concurrent creations there can overshoot by their number.
 */
export interface RunAdmission {
  /** Throws LimitError when the tenant is at its limit; else runs `work` holding one slot. */
  admit<T>(tenant: string, count: () => Promise<number>, work: () => Promise<T>): Promise<T>;
}

export function createRunAdmission(limit: number): RunAdmission {
  const pending = new Map<string, number>();
  return {
    async admit(tenant, count, work) {
      if (limit <= 0) return work();
      const inFlight = pending.get(tenant) ?? 0;
      pending.set(tenant, inFlight + 1);
      try {
        const running = (await count()) + inFlight;
        if (running >= limit) {
          throw new LimitError(
            'running_runs_limit_exceeded',
            `running runs limit reached: tenant "${tenant}" has ${running} running run${running === 1 ? '' : 's'} and may have ${limit} at once; retry after one completes or is cancelled (Retry-After: ${RUNNING_RUNS_RETRY_AFTER_SECONDS} s)`,
            { limit: 'running_runs_per_tenant', allowed: limit, current: running, retry_after_seconds: RUNNING_RUNS_RETRY_AFTER_SECONDS },
          );
        }
        return await work();
      } finally {
        const left = (pending.get(tenant) ?? 1) - 1;
        if (left <= 0) pending.delete(tenant);
        else pending.set(tenant, left);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Prompts per run.

/** Throws LimitError when a pool of `poolSize` prompts is over the limit (0 = no limit). */
export function checkPromptsPerRun(settings: LimitSettings | undefined, poolSize: number, { adding }: { adding?: number } = {}): void {
  const limit = settings?.promptsPerRun ?? 0;
  if (limit <= 0 || poolSize <= limit) return;
  const what = adding === undefined ? `the run would hold ${poolSize} prompts` : `adding ${adding} prompts would make the pool ${poolSize}`;
  throw new LimitError(
    'prompts_per_run_limit_exceeded',
    `prompts per run limit exceeded: ${what}, and a run may hold at most ${limit}; split the prompts over several runs (retrying the same request cannot succeed)`,
    { limit: 'prompts_per_run', allowed: limit, current: poolSize },
  );
}
