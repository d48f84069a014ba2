/**
 * The gateway's settings, read from Worker bindings or process.env (the same names either way):
 *
 *   SPPO_BUCKET                 the run bucket (required)
 *   SPPO_REGION                 AWS region (default us-east-1)
 *   SPPO_AWS_ENDPOINT           S3 + SQS endpoint of an emulator (local only; absent in AWS)
 *   SPPO_QUEUE_URL_GENERATE|JUDGE|TRAIN|EVENTS
 *                               queue URLs (stack outputs); when absent, the queue named
 *                               `${SPPO_QUEUE_PREFIX:-sppo}-{kind}` is looked up once (GetQueueUrl)
 *   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (optional)
 *                               secrets; with an emulator endpoint they default to dummy values
 *   SPPO_API_KEYS               secret: JSON list of { "tenant", "key_sha256" }
 *   SPPO_LIMIT_RUNNING_RUNS, SPPO_LIMIT_PROMPTS_PER_RUN, SPPO_LIMIT_REQUESTS_PER_MINUTE,
 *   SPPO_LIMIT_REQUEST_BURST    per-tenant limits (http/limit-settings.ts; 0 = no limit)
 *
 * Every problem is collected and reported at once (workers-sdk style), naming the variable and how
 * to fix it, never echoing a secret's value.
 */
import { formatPath } from '@sppo/core';
import { limitSettingsFromEnv, type LimitSettings } from './http/limit-settings.ts';
import { apiKeysSchema, type ApiKeyEntry } from './tenants.ts';
import { QUEUE_KINDS, type QueueKind } from './ports.ts';
import type { AwsCredentials } from './aws/s3.ts';

export interface GatewayConfig {
  bucket: string;
  region: string;
  endpoint?: string;
  queuePrefix: string;
  /** Explicit queue URLs; kinds missing here are resolved by name. */
  queueUrls: Partial<Record<QueueKind, string>>;
  credentials: AwsCredentials;
  apiKeys: ApiKeyEntry[];
  /** Per-tenant limits (defaults in http/limit-settings.ts). */
  limits: LimitSettings;
}

export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid gateway configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export type EnvLike = Record<string, unknown>;

function text(env: EnvLike, name: string): string | undefined {
  const value = env[name];
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const QUEUE_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,67}$/;
/** Emulators accept any signature; these only let aws4fetch sign. */
const EMULATOR_CREDENTIALS: AwsCredentials = { accessKeyId: 'sppo-local', secretAccessKey: 'sppo-local' };

/** Reads and validates the gateway settings; throws GatewayConfigError listing every problem. */
export function gatewayConfigFromEnv(env: EnvLike): GatewayConfig {
  const problems: string[] = [];
  const bucket = text(env, 'SPPO_BUCKET');
  if (bucket === undefined) problems.push('SPPO_BUCKET is not set: set it to the run bucket (the stack output BucketName)');
  else if (!BUCKET_PATTERN.test(bucket)) problems.push(`SPPO_BUCKET "${bucket}" is not a valid bucket name: 3-63 lower-case letters, digits, "." or "-"`);

  const region = text(env, 'SPPO_REGION') ?? text(env, 'AWS_REGION') ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) problems.push(`SPPO_REGION "${region}" is not an AWS region name (e.g. us-east-1)`);

  const endpoint = text(env, 'SPPO_AWS_ENDPOINT');
  if (endpoint !== undefined && !isHttpUrl(endpoint)) problems.push(`SPPO_AWS_ENDPOINT "${endpoint}" is not an http(s) URL (e.g. http://127.0.0.1:4566)`);

  const queuePrefix = text(env, 'SPPO_QUEUE_PREFIX') ?? 'sppo';
  if (!QUEUE_PREFIX_PATTERN.test(queuePrefix)) problems.push(`SPPO_QUEUE_PREFIX "${queuePrefix}" is invalid: 1-67 letters, digits, "-" or "_"`);

  const queueUrls: Partial<Record<QueueKind, string>> = {};
  for (const kind of QUEUE_KINDS) {
    const name = `SPPO_QUEUE_URL_${kind.toUpperCase()}`;
    const url = text(env, name);
    if (url === undefined) continue;
    if (isHttpUrl(url)) queueUrls[kind] = url;
    else problems.push(`${name} "${url}" is not an http(s) queue URL (the stack output ${kind} queue URL)`);
  }

  let credentials: AwsCredentials = EMULATOR_CREDENTIALS;
  const accessKeyId = text(env, 'AWS_ACCESS_KEY_ID');
  const secretAccessKey = text(env, 'AWS_SECRET_ACCESS_KEY');
  const sessionToken = text(env, 'AWS_SESSION_TOKEN');
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    credentials = { accessKeyId, secretAccessKey, ...(sessionToken === undefined ? {} : { sessionToken }) };
  } else if (endpoint === undefined || accessKeyId !== undefined || secretAccessKey !== undefined) {
    problems.push('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set (secrets: `wrangler secret put AWS_ACCESS_KEY_ID`); only an emulator endpoint works without them');
  }

  let apiKeys: ApiKeyEntry[] = [];
  const rawKeys = text(env, 'SPPO_API_KEYS');
  if (rawKeys === undefined) {
    problems.push('SPPO_API_KEYS is not set: set it to a JSON list like [{"tenant":"acme","key_sha256":"<sha256 hex of the key>"}]');
  } else {
    let parsed: unknown;
    try {
      parsed = JSON.parse(rawKeys);
    } catch {
      problems.push('SPPO_API_KEYS is not valid JSON: expected a list like [{"tenant":"acme","key_sha256":"<64 hex digits>"}]');
    }
    if (parsed !== undefined) {
      const result = apiKeysSchema.safeParse(parsed);
      if (result.success) apiKeys = result.data;
      else {
        for (const issue of result.error.issues) problems.push(`SPPO_API_KEYS${formatPath(issue.path)}: ${issue.message}`);
      }
    }
  }
  const seen = new Set<string>();
  for (const entry of apiKeys) {
    if (seen.has(entry.key_sha256)) problems.push(`SPPO_API_KEYS lists the same key_sha256 twice (tenant "${entry.tenant}"): each key must belong to exactly one tenant`);
    seen.add(entry.key_sha256);
  }

  const limits = limitSettingsFromEnv(env, problems);

  if (problems.length > 0) throw new GatewayConfigError(problems);
  return {
    bucket: bucket ?? '',
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    queuePrefix,
    queueUrls,
    credentials,
    apiKeys,
    limits,
  };
}
