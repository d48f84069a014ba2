// Idempotent creation of the bucket, the four work queues and their dead-letter queues
// (ARCHITECTURE 3.5). Queues are created by name only and then given their attributes with
// SetQueueAttributes: CreateQueue with attributes that differ from an existing queue's fails
// (QueueNameExists), whereas this way a second run, or a run with new timeouts, converges.
import { CreateBucketCommand, HeadBucketCommand, type BucketLocationConstraint, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, SetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { createS3Client, createSqsClient } from './clients.ts';
import { QUEUE_KINDS, queueName, resolveCloudConfig, type CloudConfig, type QueueKind } from './config.ts';
import { awsErrorName, awsStatusCode } from './errors.ts';

/** Per-stage visibility timeouts (seconds). Workers extend them with heartbeats while they work. */
export const DEFAULT_VISIBILITY_TIMEOUTS: Readonly<Record<QueueKind, number>> = {
  generate: 300,
  judge: 300,
  train: 900,
  events: 30,
};

export interface BootstrapOptions {
  /** Receives before SQS moves a message to the queue's DLQ. */
  maxReceiveCount?: number;
  visibilityTimeouts?: Partial<Record<QueueKind, number>>;
  /** How long dead letters are kept (SQS maximum: 14 days). */
  deadLetterRetentionSeconds?: number;
  s3?: S3Client;
  sqs?: SQSClient;
}

export interface BootstrappedQueue {
  name: string;
  url: string;
  arn: string;
  dlqName: string;
  dlqUrl: string;
  dlqArn: string;
}

export interface BootstrapResult {
  bucket: string;
  queues: Record<QueueKind, BootstrappedQueue>;
}

export async function bootstrap(
  config: CloudConfig,
  {
    maxReceiveCount = 5,
    visibilityTimeouts = {},
    deadLetterRetentionSeconds = 14 * 24 * 3600,
    s3 = createS3Client(config),
    sqs = createSqsClient(config),
  }: BootstrapOptions = {},
): Promise<BootstrapResult> {
  const resolved = resolveCloudConfig(config);
  if (!Number.isInteger(maxReceiveCount) || maxReceiveCount < 1 || maxReceiveCount > 1000) {
    throw new RangeError(`maxReceiveCount ${maxReceiveCount} is out of range: use an integer from 1 to 1000`);
  }
  const timeouts = { ...DEFAULT_VISIBILITY_TIMEOUTS, ...visibilityTimeouts };
  for (const kind of QUEUE_KINDS) {
    const t = timeouts[kind];
    if (!Number.isInteger(t) || t < 0 || t > 43_200) {
      throw new RangeError(`visibilityTimeouts.${kind} ${t} is out of range: use an integer from 0 to 43200 seconds`);
    }
  }
  await ensureBucket(s3, resolved.bucket, resolved.region);

  const queues = {} as Record<QueueKind, BootstrappedQueue>;
  for (const kind of QUEUE_KINDS) {
    const dlqName = queueName(resolved, kind, { deadLetter: true });
    const dlqUrl = await ensureQueue(sqs, dlqName, { MessageRetentionPeriod: String(deadLetterRetentionSeconds) });
    const dlqArn = await queueArn(sqs, dlqUrl);
    const name = queueName(resolved, kind);
    const url = await ensureQueue(sqs, name, {
      VisibilityTimeout: String(timeouts[kind]),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
    });
    queues[kind] = { name, url, arn: await queueArn(sqs, url), dlqName, dlqUrl, dlqArn };
  }
  return { bucket: resolved.bucket, queues };
}

async function ensureBucket(s3: S3Client, bucket: string, region: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    if (awsStatusCode(error) === 403) {
      throw new Error(`bucket "${bucket}" exists but belongs to someone else (403): choose another SPPO_BUCKET`, { cause: error });
    }
    if (awsStatusCode(error) !== 404) throw error;
  }
  try {
    // us-east-1 is the one region that rejects an explicit LocationConstraint.
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ...(region !== 'us-east-1' && {
          CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint },
        }),
      }),
    );
  } catch (error) {
    // Another bootstrap created it between our HEAD and CREATE: that is the state we want.
    if (awsErrorName(error) !== 'BucketAlreadyOwnedByYou') throw error;
  }
}

async function ensureQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`CreateQueue returned no URL for "${name}"`);
  await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: attributes }));
  return QueueUrl;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const r = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = r.Attributes?.QueueArn;
  if (!arn) throw new Error(`GetQueueAttributes returned no QueueArn for ${url}`);
  return arn;
}
