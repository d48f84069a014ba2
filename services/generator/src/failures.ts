/**
 * Recording a generate unit that gave up, so the run's status can show it: the failure record
 * (core's failureKey) and a `unit.failed` event for the round state machine. A permanent error is
 * also forwarded to the generate DLQ with the reason attributes runWorker uses for invalid
 * messages, and the original message is acknowledged instead of retried maxReceiveCount times.
 */
import { DLQ_REASON_ATTRIBUTE, DLQ_SOURCE_MESSAGE_ATTRIBUTE, DLQ_SOURCE_QUEUE_ATTRIBUTE, type ObjectStore, type OnFailure, type Queue, type ReceivedMessage } from '@sppo/cloud';
import { failureKey, generateTaskSchema, type FailureRecord, type GenerateTask } from '@sppo/core';
import { reasonOf } from './errors.ts';

export interface FailureDeps {
  store: ObjectStore;
  events: Queue;
}

export async function recordGenerateFailure({ store, events }: FailureDeps, task: GenerateTask, reason: string): Promise<void> {
  const record: FailureRecord = { run_id: task.run_id, round: task.round, stage: 'generate', shard: task.shard, reason, failed_at: new Date().toISOString() };
  await store.putJson(failureKey(task.run_id, 'generate', task.round, task.shard), record);
  await events.send({ type: 'unit.failed', run_id: task.run_id, round: task.round, stage: 'generate', shard: task.shard, reason });
}

export async function deadLetter(dlq: Queue, source: Queue | undefined, message: ReceivedMessage, reason: string): Promise<void> {
  await dlq.sendRaw(message.body, {
    attributes: {
      [DLQ_REASON_ATTRIBUTE]: reason.length > 1024 ? `${reason.slice(0, 1021)}...` : reason,
      [DLQ_SOURCE_QUEUE_ATTRIBUTE]: source?.name ?? 'generate',
      [DLQ_SOURCE_MESSAGE_ATTRIBUTE]: message.messageId,
    },
  });
}

/** runWorker's onFailure: a transient error that used up the last attempt is recorded as the unit's failure. */
export function generateOnFailure(deps: FailureDeps): OnFailure {
  return async (message, error, info) => {
    if (!info.final || info.kind !== 'handler') return;
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      return;
    }
    const parsed = generateTaskSchema.safeParse(body);
    if (!parsed.success) return;
    await recordGenerateFailure(deps, parsed.data, `gave up after ${info.receiveCount} attempts: ${reasonOf(error)}`);
  };
}
