/**
 * Recording a train unit that gave up, so the run's status can show it: the failure record
 * (core's failureKey) and a `unit.failed` event for the round state machine. A permanent error is
 * also forwarded to the train DLQ with its reason, the way runWorker dead-letters invalid messages
 * (same attributes), and the original message is then acknowledged instead of retried 5 times.
 */
import { DLQ_REASON_ATTRIBUTE, DLQ_SOURCE_MESSAGE_ATTRIBUTE, DLQ_SOURCE_QUEUE_ATTRIBUTE, type ObjectStore, type OnFailure, type Queue, type ReceivedMessage } from '@sppo/cloud';
import { failureKey, trainTaskSchema, type FailureRecord, type TrainTask } from '@sppo/core';
import { reasonOf } from './errors.ts';

export interface FailureDeps {
  store: ObjectStore;
  events: Queue;
}

export async function recordTrainFailure({ store, events }: FailureDeps, task: TrainTask, reason: string): Promise<void> {
  const record: FailureRecord = { run_id: task.run_id, round: task.round, stage: 'train', reason, failed_at: new Date().toISOString() };
  await store.putJson(failureKey(task.run_id, 'train', task.round), record);
  await events.send({ type: 'unit.failed', run_id: task.run_id, round: task.round, stage: 'train', reason });
}

/** Sends the message body to the DLQ with the reason attributes runWorker uses for invalid messages. */
export async function deadLetter(dlq: Queue, source: Queue | undefined, message: ReceivedMessage, reason: string): Promise<void> {
  await dlq.sendRaw(message.body, {
    attributes: {
      [DLQ_REASON_ATTRIBUTE]: reason.length > 1024 ? `${reason.slice(0, 1021)}...` : reason,
      [DLQ_SOURCE_QUEUE_ATTRIBUTE]: source?.name ?? 'train',
      [DLQ_SOURCE_MESSAGE_ATTRIBUTE]: message.messageId,
    },
  });
}

/**
 * runWorker's onFailure: when a transient error used up the last attempt (the queue's redrive
 * policy now dead-letters it), record the failure. Invalid messages have no valid task to name.
 */
export function trainOnFailure(deps: FailureDeps): OnFailure {
  return async (message, error, info) => {
    if (!info.final || info.kind !== 'handler') return;
    const parsed = trainTaskSchema.safeParse(JSON.parse(message.body) as unknown);
    if (!parsed.success) return;
    await recordTrainFailure(deps, parsed.data, `gave up after ${info.receiveCount} attempts: ${reasonOf(error)}`);
  };
}
