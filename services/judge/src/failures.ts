/**
 * Recording a judge unit that gave up, so the run's status can show it: the failure record
 * (core's failureKey) and a `unit.failed` event for the round state machine. A permanent error is
 * also forwarded to the judge DLQ with the reason attributes runWorker uses for invalid messages,
 * and the original message is acknowledged instead of retried maxReceiveCount times.
 */
import { DLQ_REASON_ATTRIBUTE, DLQ_SOURCE_MESSAGE_ATTRIBUTE, DLQ_SOURCE_QUEUE_ATTRIBUTE, type ObjectStore, type OnFailure, type Queue, type ReceivedMessage } from '@sppo/cloud';
import { failureKey, judgeTaskSchema, type FailureRecord, type JudgeTask } from '@sppo/core';
import { reasonOf } from './errors.ts';

export interface FailureDeps {
  store: ObjectStore;
  events: Queue;
}

export async function recordJudgeFailure({ store, events }: FailureDeps, task: JudgeTask, reason: string): Promise<void> {
  const record: FailureRecord = { run_id: task.run_id, round: task.round, stage: 'judge', shard: task.shard, reason, failed_at: new Date().toISOString() };
  await store.putJson(failureKey(task.run_id, 'judge', task.round, task.shard), record);
  await events.send({ type: 'unit.failed', run_id: task.run_id, round: task.round, stage: 'judge', shard: task.shard, reason });
}

export async function deadLetter(dlq: Queue, source: Queue | undefined, message: ReceivedMessage, reason: string): Promise<void> {
  await dlq.sendRaw(message.body, {
    attributes: {
      [DLQ_REASON_ATTRIBUTE]: reason.length > 1024 ? `${reason.slice(0, 1021)}...` : reason,
      [DLQ_SOURCE_QUEUE_ATTRIBUTE]: source?.name ?? 'judge',
      [DLQ_SOURCE_MESSAGE_ATTRIBUTE]: message.messageId,
    },
  });
}

/** runWorker's onFailure: a transient error that used up the last attempt is recorded as the unit's failure. */
export function judgeOnFailure(deps: FailureDeps): OnFailure {
  return async (message, error, info) => {
    if (!info.final || info.kind !== 'handler') return;
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      return;
    }
    const parsed = judgeTaskSchema.safeParse(body);
    if (!parsed.success) return;
    await recordJudgeFailure(deps, parsed.data, `gave up after ${info.receiveCount} attempts: ${reasonOf(error)}`);
  };
}
