/**
 * The events consumer: one event in, the run's next stages out (ARCHITECTURE 3.6).
 *
 *   load the run's state from S3 -> core's advance(state, event) -> execute the commands in order
 *
 * Safe under at-least-once delivery: a duplicate event finds the stage already started (manifest
 * or _enqueued marker) and emits nothing; an out-of-order event counts as evidence; two finishers
 * racing on a round's last shard may both enqueue train, which the trainer absorbs (it writes a
 * deterministic checkpoint and skips a complete one). A command that throws leaves the message
 * unacknowledged: the queue redelivers it and the commands already done are skipped or rewritten
 * identically.
 */
import { advance, type Command, type RunEvent } from '@sppo/core';
import { executeCommand, type AutomationDeps } from './execute.ts';
import { loadRun } from './load.ts';

export interface HandleEventResult {
  commands: Command[];
  /** Why nothing (or less) happened: duplicate, stale, cancelled, unknown run. */
  notes: string[];
}

/**
 * What a command starts, as `stage:round[:shard]` (`generate:1`, `judge:0:3`, `train:0`,
 * `complete`; the evaluation's `eval_generate:p{c}:{i}` for checkpoint c's samples of eval shard i,
 * `eval_judge:{t}:{i}`, `eval_metrics:{t}`), for the `event.handled` line: a log reader can check
 * that no stage starts twice.
 */
function started(command: Command): string | null {
  switch (command.kind) {
    case 'enqueue_generate':
      return `generate:${command.round}`;
    case 'enqueue_judge':
      return `judge:${command.round}:${command.shard}`;
    case 'enqueue_train':
      return `train:${command.round}`;
    case 'complete_run':
      return 'complete';
    case 'enqueue_eval_generate':
      return `eval_generate:p${command.policy}:${command.shard}`;
    case 'enqueue_eval_judge':
      return `eval_judge:${command.round}:${command.shard}`;
    case 'write_eval_metrics':
      return `eval_metrics:${command.round}`;
    default:
      return null;
  }
}

export async function handleEvent(event: RunEvent, deps: AutomationDeps): Promise<HandleEventResult> {
  const began = performance.now();
  const run = await loadRun(deps.store, event.run_id);
  if (run === null) {
    const notes = [`unknown run "${event.run_id}" (no run.json): ${event.type} ignored`];
    deps.logger?.warn('event.ignored', { run_id: event.run_id, type: event.type, notes });
    return { commands: [], notes };
  }
  const { commands, notes } = advance(run.state, event);
  for (const command of commands) await executeCommand(command, run, deps);
  deps.logger?.info('event.handled', {
    run_id: event.run_id,
    type: event.type,
    ...('round' in event ? { round: event.round } : {}),
    ...('shard' in event && event.shard !== undefined ? { shard: event.shard } : {}),
    commands: commands.map((c) => c.kind),
    started: commands.map(started).filter((s) => s !== null),
    notes,
    duration_ms: Math.round(performance.now() - began),
  });
  return { commands, notes };
}
