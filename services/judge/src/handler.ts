/**
 * The `judge` task (issue 5; SPPO-REFERENCE 2.2 steps 6-8): round t's generation shard i -> its
 * triplet shard, with every ordered pair of responses compared by the run's judge.
 *
 * Outputs, both at deterministic keys and each written whole in one PUT:
 *   runs/{run}/round={t}/judge-metrics/shard={i}.json   judge/* numbers + every bad line (written first)
 *   runs/{run}/round={t}/triplets/shard={i}.jsonl       core's triplet rows (written last: the unit's output)
 * then `shard.judged` is published, then the handler returns and runWorker acks.
 *
 * Idempotent: when both outputs exist the task only republishes `shard.judged` (the event may have
 * been lost between the PUT and the send); otherwise it recomputes, and the same shard, config and
 * judge give the same bytes. A cancelled run is skipped. A task that cannot succeed throws a
 * permanent error (isPermanent: no manifest or shard, K < 2, an unusable judge): runWorker forwards
 * it to the judge DLQ with its reason, acks it and records the unit's failure (worker.ts).
 */
import type { HandlerContext, Logger, MessageHandler, ObjectStore, Queue } from '@sppo/cloud';
import { isNotFound, isRunCancelled } from '@sppo/cloud';
import {
  allRowsBadMessage,
  generationShardKey,
  judgeMetricsKey,
  manifestKey,
  roundManifestSchema,
  toJsonl,
  tripletShardKey,
  type JudgeQueueTask,
  type JudgeTask,
  type RoundManifest,
} from '@sppo/core';
import { PermanentJudgeError } from './errors.ts';
import { judgeEvalShard } from './eval-handler.ts';
import type { JudgeResolver } from './judges.ts';
import { JUDGE_INPUT_LAYOUTS, judgeGenerations, parseGenerationShard, type BadLine } from './shard.ts';

/** Per-shard judge metrics: core's judgeMetricsKey (the round's metrics.json is the trainer's). */
export { judgeMetricsKey };

/** The object at judgeMetricsKey. */
export interface JudgeShardMetrics {
  run_id: string;
  round: number;
  shard: number;
  judge_model: string;
  score_aggregation: string;
  win_rate_estimator: string;
  selection: string;
  /** judge/prompts, judge/chosen_probs(_win/_lose), judge/ties, judge/comparisons, judge/bad_lines. */
  judge: Record<string, number>;
  /** Every bad line of the generation shard, with its 1-based number. */
  bad_lines: BadLine[];
}

export interface JudgeHandlerOptions {
  store: ObjectStore;
  events: Queue;
  judges: JudgeResolver;
}

export type JudgeOutcome = 'judged' | 'already-done' | 'skipped-cancelled';

const encoder = new TextEncoder();

async function readManifest(store: ObjectStore, task: JudgeTask): Promise<RoundManifest> {
  try {
    return await store.getJson(manifestKey(task.run_id, task.round), roundManifestSchema);
  } catch (e) {
    if (isNotFound(e)) throw new PermanentJudgeError(`round ${task.round} of run ${task.run_id} has no manifest (${manifestKey(task.run_id, task.round)}): the round was never started`);
    throw new PermanentJudgeError(`the manifest of round ${task.round} is invalid: ${(e as Error).message}`);
  }
}

export async function judgeShard(task: JudgeTask, logger: Logger, { store, events, judges }: JudgeHandlerOptions): Promise<JudgeOutcome> {
  const { run_id: run, round, shard } = task;
  const tripletsKey = tripletShardKey(run, round, shard);
  const metricsKey = judgeMetricsKey(run, round, shard);
  const judged = { type: 'shard.judged', run_id: run, round, shard } as const;
  if (await isRunCancelled(store, run)) {
    logger.info('judge.skipped_cancelled', { run_id: run, round, shard });
    return 'skipped-cancelled';
  }
  if ((await store.exists(metricsKey)) && (await store.exists(tripletsKey))) {
    await events.send(judged);
    logger.info('judge.already_done', { run_id: run, round, shard });
    return 'already-done';
  }
  const { config } = await readManifest(store, task);
  const shardKey = generationShardKey(run, round, shard);
  let text: string;
  try {
    text = await store.getText(shardKey);
  } catch (e) {
    if (isNotFound(e)) throw new PermanentJudgeError(`the generation shard ${shardKey} does not exist: the generator has not written it (judge tasks follow shard.generated)`);
    throw e;
  }
  const parsed = parseGenerationShard(text);
  if (parsed.rows.length === 0 && parsed.badLines.length > 0) {
    throw new PermanentJudgeError(allRowsBadMessage(`generation shard ${shardKey}`, parsed.badLines.map((b) => ({ where: `line ${b.line}`, message: b.message })), JUDGE_INPUT_LAYOUTS));
  }
  if (parsed.badLines.length > 0) {
    logger.warn('judge.bad_lines', { run_id: run, round, shard, count: parsed.badLines.length, lines: parsed.badLines.slice(0, 20).map((b) => b.line) });
  }
  const judge = await judges({
    judgeModel: config.judge_model,
    maxSourceTokens: config.judge_max_source_tokens,
    maxCandidateTokens: config.judge_max_candidate_tokens,
  });
  const started = performance.now();
  const result = await judgeGenerations(judge, parsed, { aggregation: config.score_aggregation, estimator: config.win_rate_estimator, selection: config.selection });
  const seconds = (performance.now() - started) / 1000;
  const metrics: JudgeShardMetrics = {
    run_id: run,
    round,
    shard,
    judge_model: config.judge_model,
    score_aggregation: config.score_aggregation,
    win_rate_estimator: config.win_rate_estimator,
    selection: config.selection,
    judge: result.metrics,
    bad_lines: result.badLines,
  };
  // Timing stays out of the objects (they must be byte-identical on a rerun); it goes to the log.
  await store.put(metricsKey, encoder.encode(`${JSON.stringify(metrics, null, 2)}\n`), { contentType: 'application/json' });
  await store.put(tripletsKey, encoder.encode(toJsonl(result.triplets)), { contentType: 'application/x-ndjson' });
  await events.send(judged);
  logger.info('judge.done', {
    run_id: run,
    round,
    shard,
    prompts: parsed.rows.length,
    comparisons: result.metrics['judge/comparisons'],
    comparisons_per_s: Math.round((result.metrics['judge/comparisons'] ?? 0) / Math.max(seconds, 1e-9)),
    bad_lines: parsed.badLines.length,
  });
  return 'judged';
}

/**
 * The handler runWorker calls for the judge queue (judge and the evaluation's eval_judge tasks,
 * eval-handler.ts); `judge(task, context)` also returns what happened (tests).
 */
export function createJudgeHandler(options: JudgeHandlerOptions): MessageHandler<JudgeQueueTask> & { judge: (task: JudgeQueueTask, context: HandlerContext) => Promise<JudgeOutcome> } {
  const judge = (task: JudgeQueueTask, context: HandlerContext): Promise<JudgeOutcome> =>
    task.type === 'eval_judge' ? judgeEvalShard(task, context.logger, options) : judgeShard(task, context.logger, options);
  const handler = async (task: JudgeQueueTask, context: HandlerContext): Promise<void> => {
    await judge(task, context);
  };
  return Object.assign(handler, { judge });
}
