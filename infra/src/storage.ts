// The run bucket (ARCHITECTURE 3.2), the log bucket that records access to it, and the janitor
// that expires intermediate shards.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { grantServiceAccess } from './access.ts';
import type { QueueSet } from './queues.ts';

export const JANITOR_CODE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../lambda/janitor');

/** Where the run bucket's server access logs go (the VPC flow logs go to the same bucket). */
export const ACCESS_LOG_PREFIX = 'runs-bucket-access/';

export interface LogBucketOptions {
  /** Days after which a log object is deleted. */
  retentionDays?: number;
}

/**
 * The destination of the run bucket's server access logs and of the VPC flow logs. SSE-S3 because
 * S3 server access logging cannot deliver to a bucket encrypted with a KMS key; public access
 * blocked, TLS only, and every log object expires after `retentionDays`. S3 writes the access logs
 * under the bucket policy that aws-cdk-lib adds for `logging.s3.amazonaws.com` (the
 * serverAccessLogsUseBucketPolicy flag, see build.ts), which ownership-enforced buckets require.
 */
export function createLogBucket(scope: Construct, { retentionDays = 90 }: LogBucketOptions = {}): s3.Bucket {
  // No access logs of its own: AwsSolutions-S1 counts a bucket that receives another bucket's
  // access logs as compliant (logging the log bucket would log its own log deliveries).
  return new s3.Bucket(scope, 'log-bucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    // Kept with the run bucket: the record of who touched the checkpoints outlives the stack.
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      { id: 'expire-logs', expiration: Duration.days(retentionDays) },
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
    ],
  });
}

export interface RunBucketOptions {
  /** Days a replaced or deleted object version is kept before it is removed for good. */
  noncurrentVersionRetentionDays?: number;
  /** Server access logs go here, under ACCESS_LOG_PREFIX. */
  accessLogBucket: s3.IBucket;
}

/**
 * Encrypted (SSE-S3: no KMS key to grant), public access blocked, TLS only, versioned so an
 * overwritten or deleted checkpoint can be recovered. Lifecycle rules here apply bucket-wide and
 * never expire a current object: they only clean up old versions, delete markers and abandoned
 * multipart uploads. Intermediate shards are expired by the janitor (key patterns, see below).
 * Retained on stack deletion: it holds the checkpoints.
 */
export function createRunBucket(scope: Construct, { noncurrentVersionRetentionDays = 30, accessLogBucket }: RunBucketOptions): s3.Bucket {
  return new s3.Bucket(scope, 'runs-bucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    serverAccessLogsBucket: accessLogBucket,
    serverAccessLogsPrefix: ACCESS_LOG_PREFIX,
    removalPolicy: RemovalPolicy.RETAIN,
    lifecycleRules: [
      { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(noncurrentVersionRetentionDays) },
      { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
    ],
  });
}

export interface JanitorProps {
  bucket: s3.IBucket;
  queues: QueueSet;
  /** Intermediate shards older than this many days are deleted (their old versions then follow
   * the bucket's noncurrent-version rule). */
  retentionDays?: number;
}

/**
 * A daily Lambda that deletes intermediate shards (generations/, triplets/, train-state/) older
 * than `retentionDays`. S3 lifecycle filters are literal prefixes or tags and the round number
 * sits mid-key, so a lifecycle rule cannot select these without also hitting checkpoints.
 * The code is a plain .mjs file deployed as a folder asset: no bundler, no Docker at synth time.
 */
export class IntermediateShardJanitor extends Construct {
  readonly function: lambda.Function;

  constructor(scope: Construct, id: string, { bucket, queues, retentionDays = 14 }: JanitorProps) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    // Its own role rather than the default one with the AWS managed AWSLambdaBasicExecutionRole
    // (logs on every log group in the account): this one writes only to its own log group.
    const role = new iam.Role(this, 'role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'SPPO janitor: delete expired intermediate shards, write its own logs',
    });
    logGroup.grantWrite(role);
    this.function = new lambda.Function(this, 'function', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(JANITOR_CODE_DIR, { exclude: ['*.d.mts'] }),
      timeout: Duration.minutes(15),
      memorySize: 256,
      environment: { SPPO_BUCKET: bucket.bucketName, RETENTION_DAYS: String(retentionDays) },
      role,
      logGroup,
    });
    grantServiceAccess(role, 'janitor', { bucket, queues });
    new events.Rule(this, 'daily', {
      schedule: events.Schedule.rate(Duration.days(1)),
      targets: [new targets.LambdaFunction(this.function)],
    });
  }
}
