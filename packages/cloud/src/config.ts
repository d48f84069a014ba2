// Where the S3 bucket and the SQS queues live (ARCHITECTURE 3.2 and 3.5). One config serves both
// the local emulator (an endpoint) and real AWS (no endpoint: the SDK's default credential chain).
import { CloudConfigError } from './errors.ts';

/** The four work queues of ARCHITECTURE 3.5; each has a dead-letter queue `${name}-dlq`. */
export const QUEUE_KINDS = ['generate', 'judge', 'train', 'events'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

export interface CloudCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface CloudConfig {
  region: string;
  bucket: string;
  /** Queue names are `${queuePrefix}-${kind}` and `${queuePrefix}-${kind}-dlq`. Default 'sppo'. */
  queuePrefix?: string;
  /** Emulator (or any S3 + SQS compatible) endpoint for both services; absent = real AWS. */
  endpoint?: string;
  /** Per-service overrides of `endpoint`. */
  s3Endpoint?: string;
  sqsEndpoint?: string;
  /** Static credentials; with an endpoint and none given, dummy ones are used (emulators ignore them). */
  credentials?: CloudCredentials;
}

export const DEFAULT_QUEUE_PREFIX = 'sppo';
export const DEFAULT_REGION = 'us-east-1';
/** Bucket used with an emulator endpoint when SPPO_BUCKET is not set. */
export const DEFAULT_LOCAL_BUCKET = 'sppo';
/** Emulators accept any credentials; these only let the SDK sign requests. */
export const EMULATOR_CREDENTIALS: CloudCredentials = { accessKeyId: 'sppo-local', secretAccessKey: 'sppo-local' };

// SQS names: 1-80 chars of [A-Za-z0-9_-]; the longest suffix we add is '-generate-dlq' (13 chars).
const QUEUE_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,67}$/;
// S3 bucket names: 3-63 chars, lower case letters, digits, dots and hyphens, starting and ending alnum.
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function queuePrefixOf(config: CloudConfig): string {
  return config.queuePrefix ?? DEFAULT_QUEUE_PREFIX;
}

/** `sppo-judge` for the work queue, `sppo-judge-dlq` for its dead-letter queue. */
export function queueName(config: CloudConfig, kind: QueueKind, options: { deadLetter?: boolean } = {}): string {
  const name = `${queuePrefixOf(config)}-${kind}`;
  return options.deadLetter ? `${name}-dlq` : name;
}

export function s3EndpointOf(config: CloudConfig): string | undefined {
  return config.s3Endpoint ?? config.endpoint;
}

export function sqsEndpointOf(config: CloudConfig): string | undefined {
  return config.sqsEndpoint ?? config.endpoint;
}

/** Every problem of a config at once (empty when valid). */
export function validateCloudConfig(config: CloudConfig): string[] {
  const problems: string[] = [];
  if (!config.region) problems.push('region is empty: set AWS_REGION (for example us-east-1)');
  if (!BUCKET_PATTERN.test(config.bucket)) {
    problems.push(
      `bucket "${config.bucket}" is not a valid S3 bucket name: use 3-63 lower-case letters, digits, dots or hyphens (SPPO_BUCKET)`,
    );
  }
  if (!QUEUE_PREFIX_PATTERN.test(queuePrefixOf(config))) {
    problems.push(
      `queue prefix "${queuePrefixOf(config)}" is invalid: use 1-67 letters, digits, '-' or '_' (SPPO_QUEUE_PREFIX)`,
    );
  }
  for (const [field, value] of [
    ['endpoint', config.endpoint],
    ['s3Endpoint', config.s3Endpoint],
    ['sqsEndpoint', config.sqsEndpoint],
  ] as const) {
    if (value !== undefined && !isHttpUrl(value)) {
      problems.push(`${field} "${value}" is not an http(s) URL: use for example http://127.0.0.1:4566`);
    }
  }
  return problems;
}

/** Validates a config and fills the defaults; throws CloudConfigError listing every problem. */
export function resolveCloudConfig(config: CloudConfig): CloudConfig & { queuePrefix: string } {
  const problems = validateCloudConfig(config);
  if (problems.length > 0) throw new CloudConfigError(problems);
  return { ...config, queuePrefix: queuePrefixOf(config) };
}

/**
 * Reads the config from environment variables:
 * - SPPO_AWS_ENDPOINT (both services) or SPPO_S3_ENDPOINT / SPPO_SQS_ENDPOINT (each one);
 *   absent = real AWS with the default credential chain.
 * - SPPO_BUCKET (required without an endpoint; default 'sppo' with one), SPPO_QUEUE_PREFIX ('sppo'),
 *   AWS_REGION or AWS_DEFAULT_REGION ('us-east-1').
 */
export function cloudConfigFromEnv(env: Record<string, string | undefined> = process.env): CloudConfig {
  const shared = nonEmpty(env.SPPO_AWS_ENDPOINT);
  const s3Endpoint = nonEmpty(env.SPPO_S3_ENDPOINT);
  const sqsEndpoint = nonEmpty(env.SPPO_SQS_ENDPOINT);
  const anyEndpoint = shared ?? s3Endpoint ?? sqsEndpoint;
  const problems: string[] = [];
  if ((s3Endpoint === undefined) !== (sqsEndpoint === undefined) && shared === undefined) {
    problems.push(
      'only one of SPPO_S3_ENDPOINT and SPPO_SQS_ENDPOINT is set: set both, or set SPPO_AWS_ENDPOINT for an emulator serving both',
    );
  }
  const bucket = nonEmpty(env.SPPO_BUCKET) ?? (anyEndpoint ? DEFAULT_LOCAL_BUCKET : undefined);
  if (bucket === undefined) {
    problems.push('SPPO_BUCKET is not set: set it to your S3 bucket, or set SPPO_AWS_ENDPOINT to use the local emulator');
  }
  const config: CloudConfig = {
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? DEFAULT_REGION,
    bucket: bucket ?? '',
    queuePrefix: nonEmpty(env.SPPO_QUEUE_PREFIX) ?? DEFAULT_QUEUE_PREFIX,
  };
  if (shared !== undefined) config.endpoint = shared;
  if (s3Endpoint !== undefined) config.s3Endpoint = s3Endpoint;
  if (sqsEndpoint !== undefined) config.sqsEndpoint = sqsEndpoint;
  if (bucket !== undefined) problems.push(...validateCloudConfig(config));
  else problems.push(...validateCloudConfig({ ...config, bucket: DEFAULT_LOCAL_BUCKET }));
  if (problems.length > 0) throw new CloudConfigError(problems);
  return config;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
