// The four work queues of ARCHITECTURE 3.5, each with its dead-letter queue. Physical names are
// fixed (`${prefix}-generate`, `${prefix}-generate-dlq`, ...) because the services resolve queue
// URLs by name (packages/cloud: queue prefix + kind), the same way against the local emulator.
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

export const QUEUE_KINDS = ['generate', 'judge', 'train', 'events'] as const;
export type QueueKind = (typeof QUEUE_KINDS)[number];

/** Receives before a message moves to its DLQ (ARCHITECTURE 3.5: maxReceiveCount ~5). */
export const MAX_RECEIVE_COUNT = 5;

/**
 * Initial visibility timeout per stage: how long a received message stays hidden before another
 * worker may take it. The worker loop (packages/cloud) extends it with a heartbeat while a handler
 * runs, so these only need to cover one heartbeat gap plus a crash's detection time.
 * - generate/judge: a shard takes minutes on a GPU; 15 min.
 * - train: one message is a whole round (hours). SQS caps a message's total invisibility at 12 h
 *   from its receipt, so the trainer keeps resumable state (train-state/) and a redelivery resumes.
 *   A 1 h initial timeout (not 12 h) means a crashed trainer's round is retried within the hour.
 * - events: the state machine step is a few S3 reads and writes; 1 min.
 */
export const VISIBILITY_TIMEOUT: Record<QueueKind, Duration> = {
  generate: Duration.minutes(15),
  judge: Duration.minutes(15),
  train: Duration.hours(1),
  events: Duration.minutes(1),
};

export interface StageQueues {
  queue: sqs.Queue;
  dlq: sqs.Queue;
}

export type QueueSet = Record<QueueKind, StageQueues>;

export function queueName(prefix: string, kind: QueueKind): string {
  return `${prefix}-${kind}`;
}

export function createQueues(scope: Construct, { prefix = 'sppo' }: { prefix?: string } = {}): QueueSet {
  const make = (kind: QueueKind): StageQueues => {
    const name = queueName(prefix, kind);
    const dlq = new sqs.Queue(scope, `${kind}-dlq`, {
      queueName: `${name}-dlq`,
      retentionPeriod: Duration.days(14), // the maximum: time to inspect and redrive failures
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const queue = new sqs.Queue(scope, `${kind}-queue`, {
      queueName: name,
      visibilityTimeout: VISIBILITY_TIMEOUT[kind],
      retentionPeriod: Duration.days(4),
      // Long polling by default, so a worker that omits WaitTimeSeconds does not spin.
      receiveMessageWaitTime: Duration.seconds(20),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: dlq, maxReceiveCount: MAX_RECEIVE_COUNT },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    return { queue, dlq };
  };
  return { generate: make('generate'), judge: make('judge'), train: make('train'), events: make('events') };
}
