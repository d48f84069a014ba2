// CloudWatch alarms: a message in any dead-letter queue (a unit failed maxReceiveCount times or was
// malformed), and a stage whose oldest message is older than its threshold (a stuck round: no
// capacity, a crash loop, or a worker that never acks). Sent to the stack's alarm topic when given.
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { QUEUE_KINDS, type QueueSet } from './queues.ts';

export interface AlarmOptions {
  queues: QueueSet;
  prefix: string;
  /** Minutes after which the oldest message of a stage means the round is stuck. */
  stuckMinutes: { generate: number; judge: number; train: number };
  topic?: sns.ITopic;
}

export function createAlarms(scope: Construct, { queues, prefix, stuckMinutes, topic }: AlarmOptions): cloudwatch.Alarm[] {
  const alarms: cloudwatch.Alarm[] = [];
  for (const kind of QUEUE_KINDS) {
    alarms.push(
      new cloudwatch.Alarm(scope, `${kind}-dlq-not-empty`, {
        alarmName: `${prefix}-${kind}-dlq-not-empty`,
        alarmDescription: `Messages in ${prefix}-${kind}-dlq: a ${kind} unit failed repeatedly or was malformed. Its failure record is under runs/{run}/failures/; redrive the DLQ after fixing the cause.`,
        metric: queues[kind].dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
  for (const kind of ['generate', 'judge', 'train'] as const) {
    const minutes = stuckMinutes[kind];
    alarms.push(
      new cloudwatch.Alarm(scope, `${kind}-stuck`, {
        alarmName: `${prefix}-${kind}-stuck`,
        alarmDescription: `The oldest ${kind} message is over ${minutes} min old: the stage is not progressing (no GPU capacity, crashing tasks, or a worker that never acknowledges).`,
        metric: queues[kind].queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        threshold: minutes * 60,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
  if (topic) {
    for (const alarm of alarms) {
      alarm.addAlarmAction(new actions.SnsAction(topic));
      alarm.addOkAction(new actions.SnsAction(topic));
    }
  }
  return alarms;
}
