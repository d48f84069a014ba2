/**
 * One error shape for every failure, `{ error: { code, message, details? } }`, from one exception
 * class (hono's HTTPException, plus a machine-readable code). User errors (4xx) say what was wrong
 * and how to fix it; internal errors (5xx) are logged with a request id and answered without
 * internals, so no stack, key or credential leaves the gateway.
 */
import { capIssues, ConfigError, InvalidIdError, SppoError, ValidationError, type ValidationIssue } from '@sppo/core';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { GatewayConfigError } from '../config.ts';
import type { Logger } from '../ports.ts';
import type { GatewayEnv } from './context.ts';

export const ERROR_CODES = [
  'invalid_request',
  'invalid_config',
  'invalid_json',
  'unauthorized',
  'not_found',
  'method_not_allowed',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limit_exceeded',
  'running_runs_limit_exceeded',
  'prompts_per_run_limit_exceeded',
  'internal',
  'misconfigured',
  'unavailable',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The 429 codes, one per per-tenant limit (http/limits.ts). */
export const LIMIT_ERROR_CODES = ['rate_limit_exceeded', 'running_runs_limit_exceeded', 'prompts_per_run_limit_exceeded'] as const satisfies readonly ErrorCode[];
export type LimitErrorCode = (typeof LIMIT_ERROR_CODES)[number];

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class ApiError extends HTTPException {
  readonly code: ErrorCode;
  readonly details: unknown;
  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string, details?: unknown) {
    super(status, { message });
    this.code = code;
    this.details = details;
  }
}

/**
 * Issues as they appear in `details.issues`: snake_case like the rest of the API. At most core's
 * MAX_REPORTED_ISSUES, then one "and N more" entry, so the answer stays small whatever the input.
 */
export function issueDetails(issues: readonly ValidationIssue[]): { issues: { path: string; message: string; valid_values?: string[] }[] } {
  return {
    issues: capIssues(issues).map((issue) => ({ path: issue.path, message: issue.message, ...(issue.validValues === undefined ? {} : { valid_values: issue.validValues }) })),
  };
}

export const notFound = (what: string): ApiError => new ApiError(404, 'not_found', `${what} not found`);

/** Maps any thrown value to the error shape; 5xx are logged, never echoed. */
export function toErrorResponse(error: unknown, c: Context<GatewayEnv>, logger: Logger): Response {
  const requestId = c.get('requestId') ?? '';
  const send = (status: ContentfulStatusCode, body: ErrorBody, headers: Record<string, string> = {}): Response =>
    c.json(body, status, { ...headers, ...(requestId === '' ? {} : { 'x-request-id': requestId }) });

  if (error instanceof ApiError) {
    const headers: Record<string, string> = error.status === 401 ? { 'www-authenticate': 'Bearer realm="sppo"' } : {};
    // 429s (http/limits.ts) carry the seconds to wait in `details.retry_after_seconds`.
    const retryAfter = (error.details as { retry_after_seconds?: unknown } | undefined)?.retry_after_seconds;
    if (error.status === 429 && typeof retryAfter === 'number') headers['retry-after'] = String(retryAfter);
    return send(error.status as ContentfulStatusCode, { error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) } }, headers);
  }
  if (error instanceof ValidationError) {
    return send(400, { error: { code: error instanceof ConfigError ? 'invalid_config' : 'invalid_request', message: error.message, details: issueDetails(error.issues) } });
  }
  if (error instanceof InvalidIdError || (error instanceof SppoError && error.userError)) {
    return send(400, { error: { code: 'invalid_request', message: error.message } });
  }
  if (error instanceof HTTPException && error.status < 500) {
    return send(error.status as ContentfulStatusCode, { error: { code: 'invalid_request', message: error.message || 'bad request' } });
  }
  if (error instanceof GatewayConfigError) {
    logger.error('gateway.misconfigured', { request_id: requestId, problems: error.problems });
    return send(500, { error: { code: 'misconfigured', message: `the gateway is misconfigured; an operator must fix its settings (request ${requestId})` } });
  }
  const e = error instanceof Error ? error : new Error(String(error));
  logger.error('request.failed', { request_id: requestId, method: c.req.method, path: c.req.path, error: { name: e.name, message: e.message, stack: e.stack } });
  return send(500, { error: { code: 'internal', message: `internal error; quote request ${requestId} when reporting it` } });
}
