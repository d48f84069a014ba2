// Typed, actionable errors of the cloud layer (STYLE guideline 6): each says what was wrong and
// how to fix it, and carries the fields a caller needs to react without parsing the message.

/** An S3 object (or a whole prefix) that does not exist. `key` ends with '/' for a prefix. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly bucket: string;
  readonly key: string;

  constructor(bucket: string, key: string, hint = '') {
    super(`s3://${bucket}/${key} does not exist${hint ? `: ${hint}` : ''}`);
    this.bucket = bucket;
    this.key = key;
  }
}

/** Invalid cloud configuration (environment variables or options); lists every problem at once. */
export class CloudConfigError extends Error {
  override readonly name = 'CloudConfigError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid cloud configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** A bucket or queue that is missing: the environment was not bootstrapped. */
export class ResourceMissingError extends Error {
  override readonly name = 'ResourceMissingError';
  readonly resource: string;

  constructor(resource: string, cause?: unknown) {
    super(
      `${resource} does not exist: create the bucket and queues first with bootstrap(config) ` +
        '(`./sppo up` or emulator-main.ts locally, the CDK stack in AWS), and check SPPO_BUCKET / SPPO_QUEUE_PREFIX / AWS_REGION',
      { cause },
    );
    this.resource = resource;
  }
}

export function isNotFound(error: unknown): error is NotFoundError {
  return error instanceof NotFoundError;
}

/** The AWS SDK's error name, or its HTTP status code, for classifying service errors. */
export function awsErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { name?: unknown; Code?: unknown };
  if (typeof e.Code === 'string') return e.Code;
  return typeof e.name === 'string' ? e.name : undefined;
}

export function awsStatusCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const meta = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata;
  return typeof meta?.httpStatusCode === 'number' ? meta.httpStatusCode : undefined;
}

/** A queue message that is not JSON or fails its schema: retrying cannot fix it, so it is dead-lettered at once. */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
  readonly queue: string;
  readonly reason: string;

  constructor(queue: string, reason: string) {
    super(`invalid message on queue ${queue}: ${reason}`);
    this.queue = queue;
    this.reason = reason;
  }
}

/**
 * A handler error that no retry can fix (a missing input, an invalid config): runWorker does not
 * retry it maxReceiveCount times but forwards the message to the DLQ with its reason at once,
 * acks it and calls onFailure with kind 'permanent' (ARCHITECTURE 3.5). Services subclass it, or
 * pass runWorker an `isPermanent` that also recognises errors they do not own.
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
}
