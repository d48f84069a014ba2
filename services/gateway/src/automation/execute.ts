/**
 * Executes the round state machine's commands (core's state/machine.ts host contract), in order,
 * each idempotently:
 * - write_manifest: skipped when the manifest exists, else written with deterministic content;
 * - enqueue_generate: one generate task per shard (the manifest is the stage's marker);
 * - enqueue_judge / enqueue_train: the task is sent FIRST, the _enqueued marker written after, so
 *   a crash in between can only cause a later duplicate enqueue (harmless: handlers are
 *   idempotent, ARCHITECTURE 3.5), never a lost stage;
 * - set_status / complete_run: runs/{run}/status.json (+ summary.json on completion);
 * - record_failure: runs/{run}/failures/{stage}-{t}[-{i}].json with the reason;
 * - the evaluation's commands: evaluation.ts.
 */
import {
  checkpointPrefix,
  evalMetricsKey,
  evalMetricsSchema,
  enqueuedMarkerKey,
  failureKey,
  manifestKey,
  roundMetricsKey,
  roundMetricsSchema,
  type Command,
  type FailureRecord,
  type Task,
} from '@sppo/core';
import type { Logger, RunStore, TaskQueues } from '../ports.ts';
import { readPool } from '../runs/prompts.ts';
import { readJson, summaryKey, writeStatus } from '../runs/record.ts';
import type { LoadedRun } from './load.ts';
import { enqueueEvalGenerate, enqueueEvalJudge, writeEvalManifest, writeEvalMetrics } from './evaluation.ts';
import { buildManifest } from './manifest.ts';

export interface AutomationDeps {
  store: RunStore;
  queues: TaskQueues;
  now?: () => Date;
  logger?: Logger;
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export async function executeCommand(command: Command, run: LoadedRun, { store, queues, now = () => new Date() }: AutomationDeps): Promise<void> {
  const runId = run.record.run_id;
  switch (command.kind) {
    case 'write_manifest': {
      const key = manifestKey(runId, command.round);
      if ((await store.getText(key)) !== null) return;
      const manifest = buildManifest(run.record, command.round, await readPool(store, runId), run.objects);
      await store.put(key, json(manifest), 'application/json');
      return;
    }
    case 'enqueue_generate': {
      const tasks: Task[] = command.shards.map((shard) => ({ type: 'generate', run_id: runId, round: command.round, shard }));
      await queues.sendBatch('generate', tasks);
      return;
    }
    case 'enqueue_judge': {
      await queues.send('judge', { type: 'judge', run_id: runId, round: command.round, shard: command.shard } satisfies Task);
      await store.put(enqueuedMarkerKey(runId, command.round, 'judge', command.shard), json({ enqueued_at: now().toISOString() }), 'application/json');
      return;
    }
    case 'enqueue_train': {
      await queues.send('train', { type: 'train', run_id: runId, round: command.round } satisfies Task);
      await store.put(enqueuedMarkerKey(runId, command.round, 'train'), json({ enqueued_at: now().toISOString() }), 'application/json');
      return;
    }
    case 'set_status':
      await writeStatus(store, { run_id: runId, status: command.status, updated_at: now().toISOString(), ...(command.reason === undefined ? {} : { reason: command.reason }) });
      return;
    case 'complete_run': {
      await store.put(summaryKey(runId), json(await buildSummary(run, store, now())), 'application/json');
      await writeStatus(store, { run_id: runId, status: 'completed', updated_at: now().toISOString() });
      return;
    }
    case 'record_failure': {
      const record: FailureRecord = {
        run_id: runId,
        round: command.round,
        stage: command.stage,
        ...(command.shard === undefined ? {} : { shard: command.shard }),
        reason: command.reason,
        failed_at: now().toISOString(),
      };
      await store.put(failureKey(runId, command.stage, command.round, command.shard), json(record), 'application/json');
      return;
    }
    case 'write_eval_manifest':
      await writeEvalManifest(store, run.record, command.round, run.objects);
      return;
    case 'enqueue_eval_generate':
      await enqueueEvalGenerate(store, queues, runId, command, now().toISOString());
      return;
    case 'enqueue_eval_judge':
      await enqueueEvalJudge(store, queues, runId, command, now().toISOString());
      return;
    case 'write_eval_metrics':
      await writeEvalMetrics(store, run.record, command.round, run.evalShardCount);
      return;
    default: {
      const unknown: never = command;
      throw new Error(`unknown state machine command ${JSON.stringify(unknown)}: the gateway is older than @sppo/core`);
    }
  }
}

/**
 * The completion summary: the final checkpoint, each round's judge / training summary metrics and
 * its evaluation (null for a round not evaluated), and `evaluation`: the table, one row per
 * evaluated round (issue 21).
 */
async function buildSummary(run: LoadedRun, store: RunStore, completedAt: Date): Promise<Record<string, unknown>> {
  const runId = run.record.run_id;
  const rounds = await Promise.all(
    Array.from({ length: run.record.config.num_iterations }, async (_, t) => {
      const [metrics, evaluation] = await Promise.all([
        readJson(store, roundMetricsKey(runId, t), roundMetricsSchema).catch(() => null),
        readJson(store, evalMetricsKey(runId, t), evalMetricsSchema).catch(() => null),
      ]);
      return { round: t, checkpoint: checkpointPrefix(runId, t + 1), judge: metrics?.judge ?? null, train: metrics?.train?.summary ?? null, evaluation };
    }),
  );
  return {
    run_id: runId,
    status: 'completed',
    created_at: run.record.created_at,
    completed_at: completedAt.toISOString(),
    num_iterations: run.record.config.num_iterations,
    final_checkpoint: checkpointPrefix(runId, run.record.config.num_iterations),
    rounds: rounds.map(({ evaluation, ...rest }) => ({ ...rest, evaluation: evaluation ?? null })),
    evaluation: rounds.flatMap((r) => (r.evaluation === null ? [] : [r.evaluation])),
  };
}
