/**
 * Recording a stage unit (a generate or judge shard, a train round) that gave up, so the run's
 * status can show it (ARCHITECTURE 3.5): the failure record at core's failureKey and a
 * `unit.failed` event for the round state machine. One implementation for the three stage
 * services; runWorker's onFailure calls it on the final attempt of a transient error and on a
 * permanent error (which runWorker has dead-lettered instead of retrying).
 */
import { failureKey, type FailureRecord, type Task } from '@sppo/core';
import type { ObjectStore } from './object-store.ts';
import type { Queue } from './queue.ts';
import type { SchemaLike } from './schema.ts';
import type { OnFailure } from './worker-message.ts';

export interface UnitFailureDeps {
  store: ObjectStore;
  /** The events queue (`unit.failed`). */
  events: Queue;
}

const MAX_REASON_CHARS = 4000;

/** The error's message as a failure reason, cut to a length a status page can show. */
export function failureReason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 3)}...` : text;
}

/** Writes the failure record of the task's unit (stage = task type; shard when it has one) and publishes `unit.failed`. */
export async function recordUnitFailure({ store, events }: UnitFailureDeps, task: Task, reason: string): Promise<void> {
  const { run_id, round, type: stage } = task;
  const shard = 'shard' in task ? { shard: task.shard } : {};
  const record: FailureRecord = { run_id, round, stage, ...shard, reason, failed_at: new Date().toISOString() };
  await store.putJson(failureKey(run_id, stage, round, 'shard' in task ? task.shard : undefined), record);
  await events.send({ type: 'unit.failed', run_id, round, stage, ...shard, reason });
}

/**
 * runWorker's onFailure for a stage queue: records the unit's failure when a transient error used
 * up the last attempt (the redrive policy now dead-letters it) or at once for a permanent error.
 * Invalid messages have no valid task to name, so they are only dead-lettered.
 */
export function unitFailureHook<T extends Task>(deps: UnitFailureDeps, taskSchema: SchemaLike<T>): OnFailure {
  return async (message, error, info) => {
    if (!info.final || info.kind === 'invalid') return;
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      return;
    }
    const parsed = taskSchema.safeParse(body);
    if (!parsed.success) return;
    const reason = info.kind === 'permanent' ? failureReason(error) : `gave up after ${info.receiveCount} attempts: ${failureReason(error)}`;
    await recordUnitFailure(deps, parsed.data, reason);
  };
}
