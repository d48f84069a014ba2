// Queue-driven task scaling on backlog per task, down to zero.
//
// The backlog is visible + in-flight messages. Scaling on visible messages alone (the default of
// ecs_patterns.QueueProcessing*Service) would scale in to zero while every message is being worked
// on, and ECS would stop the tasks mid-shard (or mid-round for the trainer). Counting in-flight
// messages keeps a task alive until its message is acknowledged.
//
// Desired tasks = ceil(backlog / messagesPerTask), capped at maxTasks, applied as exact capacities
// by one step-scaling policy (AWS's "backlog per instance" target, built so that 0 tasks and 0
// messages is a valid resting state; target tracking on backlog / running tasks cannot start from 0).
import { Duration } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

export interface BacklogStepsOptions {
  maxTasks: number;
  messagesPerTask: number;
  /** Step adjustments are capped so the policy stays small; counts are spread over 1..maxTasks. */
  maxSteps?: number;
}

/** Step intervals (lower inclusive, upper exclusive) mapping backlog to an exact task count. */
export function backlogScalingSteps({ maxTasks, messagesPerTask, maxSteps = 10 }: BacklogStepsOptions): appscaling.ScalingInterval[] {
  if (!Number.isInteger(maxTasks) || maxTasks < 1) throw new Error(`maxTasks must be an integer >= 1, got ${maxTasks}`);
  if (!Number.isInteger(messagesPerTask) || messagesPerTask < 1) throw new Error(`messagesPerTask must be an integer >= 1, got ${messagesPerTask}`);
  // The task counts that get their own step: all of 1..maxTasks when few, else spread evenly
  // (always including 1, so one message starts one task, and maxTasks).
  const counts = new Set<number>();
  const n = Math.min(maxTasks, maxSteps);
  for (let i = 1; i <= n; i++) counts.add(Math.ceil((i * maxTasks) / n));
  counts.add(1);
  const sorted = [...counts].sort((a, b) => a - b);

  const steps: appscaling.ScalingInterval[] = [{ upper: 1, change: 0 }];
  let previous = 0;
  for (const [index, count] of sorted.entries()) {
    const lower = previous * messagesPerTask + 1; // backlog above what `previous` tasks carry
    const last = index === sorted.length - 1;
    steps.push(last ? { lower, change: count } : { lower, upper: count * messagesPerTask + 1, change: count });
    previous = count;
  }
  return steps;
}

/** Visible + in-flight messages, the backlog the tasks must carry. */
export function backlogMetric(queue: sqs.IQueue, period = Duration.minutes(1)): cloudwatch.MathExpression {
  return new cloudwatch.MathExpression({
    expression: 'visible + inflight',
    usingMetrics: {
      visible: queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
      inflight: queue.metricApproximateNumberOfMessagesNotVisible({ period, statistic: 'Maximum' }),
    },
    label: `${queue.node.id} backlog`,
    period,
  });
}

export interface BacklogScalingOptions {
  queue: sqs.IQueue;
  minTasks?: number;
  maxTasks: number;
  messagesPerTask?: number;
  /** Time after a scaling action before the next scale-in (scale-out is never delayed by AWS). */
  cooldown?: Duration;
}

export function attachBacklogScaling(
  service: ecs.BaseService,
  { queue, minTasks = 0, maxTasks, messagesPerTask = 1, cooldown = Duration.minutes(5) }: BacklogScalingOptions,
): ecs.ScalableTaskCount {
  const scaling = service.autoScaleTaskCount({ minCapacity: minTasks, maxCapacity: maxTasks });
  scaling.scaleOnMetric('backlog-per-task', {
    metric: backlogMetric(queue),
    scalingSteps: backlogScalingSteps({ maxTasks, messagesPerTask }),
    adjustmentType: appscaling.AdjustmentType.EXACT_CAPACITY,
    cooldown,
    // Both alarms need 3 one-minute datapoints in a row: SQS counts are approximate, and one stray
    // 0 must not stop a task mid-round. The 3 min this adds to a scale-out is small next to a GPU
    // host's boot time and the SQS metric delay.
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
  });
  return scaling;
}
