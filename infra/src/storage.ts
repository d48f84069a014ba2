// The run bucket (ARCHITECTURE 3.2) and the janitor that expires intermediate shards.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { grantServiceAccess } from './access.ts';
import type { QueueSet } from './queues.ts';

export const JANITOR_CODE_DIR = join(dirname(fileURLToPath(import.meta.url)), '../lambda/janitor');

export interface RunBucketOptions {
  /** Days a replaced or deleted object version is kept before it is removed for good. */
  noncurrentVersionRetentionDays?: number;
}

/**
 * Encrypted (SSE-S3: no KMS key to grant), public access blocked, TLS only, versioned so an
 * overwritten or deleted checkpoint can be recovered. Lifecycle rules here apply bucket-wide and
 * never expire a current object: they only clean up old versions, delete markers and abandoned
 * multipart uploads. Intermediate shards are expired by the janitor (key patterns, see below).
 * Retained on stack deletion: it holds the checkpoints.
 */
export function createRunBucket(scope: Construct, { noncurrentVersionRetentionDays = 30 }: RunBucketOptions = {}): s3.Bucket {
  return new s3.Bucket(scope, 'runs-bucket', {
    encryption: s3.BucketEncryption.S3_MANAGED,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: true,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
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
    this.function = new lambda.Function(this, 'function', {
      runtime: lambda.Runtime.NODEJS_24_X,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(JANITOR_CODE_DIR, { exclude: ['*.d.mts'] }),
      timeout: Duration.minutes(15),
      memorySize: 256,
      environment: { SPPO_BUCKET: bucket.bucketName, RETENTION_DAYS: String(retentionDays) },
      logGroup: new logs.LogGroup(this, 'logs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY }),
    });
    grantServiceAccess(this.function, 'janitor', { bucket, queues });
    new events.Rule(this, 'daily', {
      schedule: events.Schedule.rate(Duration.days(1)),
      targets: [new targets.LambdaFunction(this.function)],
    });
  }
}
