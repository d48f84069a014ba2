/**
 * The `train` task (issue 6, SPPO-REFERENCE 1.3 and 2.3-2.6): round t's triplets + checkpoint t
 * -> checkpoint t+1, with pi_t as the frozen reference.
 *
 * Idempotent and crash-safe:
 * - a task whose checkpoint t+1 already has `_COMPLETE` only republishes `checkpoint.ready`;
 * - resumable state goes to runs/{run}/round={t}/train-state/ every save_steps, and a redelivered
 *   task continues from it (same data, args and pi_t, checked by fingerprint) to the same weights;
 * - the round's training metrics are written before the checkpoint, the checkpoint folder goes up
 *   with `_COMPLETE` last, and `checkpoint.ready` is published only after that; runWorker acks
 *   after the handler returns and keeps the message invisible while it trains (heartbeat).
 * A task that cannot succeed throws a permanent error (isPermanent): runWorker forwards it to the
 * train DLQ with its reason, acks it and records the unit's failure (worker.ts) instead of
 * retrying it maxReceiveCount times.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound, uploadFolder, type HandlerContext, type Logger, type MessageHandler, type ObjectStore, type Queue } from '@sppo/cloud';
import {
  checkpointCompleteKey,
  checkpointPrefix,
  isPairTripletRow,
  roundMetricsKey,
  roundMetricsSchema,
  runStatusKey,
  runStatusRecordSchema,
  type RoundMetrics,
  type TrainTask,
} from '@sppo/core';
import { preparePreferenceData, trainingFingerprint, trainPolicy, writeTrainedCheckpoint, type TrainState } from '@sppo/model';
import type { SessionOptions } from '@sppo/autodiff';
import { PermanentTrainError, reasonOf } from './errors.ts';
import { dropEmptySamples } from './empty-samples.ts';
import { readManifest, readTriplets, trainingArgsOf } from './inputs.ts';
import { fetchReferenceCheckpoint } from './reference.ts';
import { s3TrainStateStore } from './state-store.ts';

export interface TrainHandlerOptions {
  store: ObjectStore;
  /** The events queue (checkpoint.ready). */
  events: Queue;
  /** Local folder for downloaded checkpoints and the checkpoint being written. */
  cacheDir: string;
  thread?: 'worker' | 'main';
  session?: SessionOptions;
  /** Test hook, called after each saved state (e.g. to simulate a crash right after a save). */
  afterSave?: (state: TrainState) => void | Promise<void>;
}

export type TrainOutcome = 'trained' | 'resumed' | 'already-done' | 'skipped-cancelled';

/** The handler runWorker calls; `train(task, context)` also returns what happened (tests). */
export function createTrainHandler(options: TrainHandlerOptions): MessageHandler<TrainTask> & { train: (task: TrainTask, context: HandlerContext) => Promise<TrainOutcome> } {
  const train = (task: TrainTask, context: HandlerContext): Promise<TrainOutcome> => trainRound(task, context.logger, options);
  const handler = async (task: TrainTask, context: HandlerContext): Promise<void> => {
    await train(task, context);
  };
  return Object.assign(handler, { train });
}

async function runStatus(store: ObjectStore, run: string): Promise<string | undefined> {
  try {
    return (await store.getJson(runStatusKey(run), runStatusRecordSchema)).status;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

async function trainRound(task: TrainTask, logger: Logger, o: TrainHandlerOptions): Promise<TrainOutcome> {
  const { store, events } = o;
  const { run_id: run, round: t } = task;
  const ready = { type: 'checkpoint.ready', run_id: run, round: t } as const;
  if (await store.exists(checkpointCompleteKey(run, t + 1))) {
    logger.info('train.already_done', { run_id: run, round: t, checkpoint: checkpointPrefix(run, t + 1) });
    await events.send(ready);
    return 'already-done';
  }
  if ((await runStatus(store, run)) === 'cancelled') {
    logger.info('train.skipped', { run_id: run, round: t, reason: 'run cancelled' });
    return 'skipped-cancelled';
  }

  const manifest = await readManifest(store, run, t);
  const args = trainingArgsOf(manifest.config);
  const base = await fetchReferenceCheckpoint(store, manifest, o.cacheDir);
  const { input: triplets, dropped } = dropEmptySamples(await readTriplets(store, manifest));
  if (dropped.length > 0) logger.warn('train.dropped_empty_rows', { run_id: run, round: t, count: dropped.length, rows: dropped.slice(0, 20) });
  const chatTemplate = manifest.config.chat_template;
  if (triplets.rows[0] !== undefined && !isPairTripletRow(triplets.rows[0]) && args.loss_type !== 'sppo') {
    throw new PermanentTrainError(
      `loss_type '${args.loss_type}' needs (chosen, rejected) pairs but round ${t}'s triplets are per-response rows (selection 'all'); use loss_type 'sppo' or selection 'extremes'`,
    );
  }
  const { data, stats } = preparePreferenceData(triplets.rows, { tokenizer: base.tokenizer, args, ...(chatTemplate ? { chatTemplate } : {}) }, triplets.where);

  const states = s3TrainStateStore(store, run, t);
  let resume = await states.load().catch((e: unknown) => {
    logger.warn('train.state_unreadable', { run_id: run, round: t, error: reasonOf(e) });
    return undefined;
  });
  if (resume && resume.fingerprint !== trainingFingerprint({ data, args, weights: base.weights })) {
    logger.warn('train.state_ignored', { run_id: run, round: t, reason: 'saved state belongs to other data, args or starting weights', step: resume.step });
    resume = undefined;
  }
  logger.info('train.started', { run_id: run, round: t, kind: data.kind, examples: stats.examples, truncated_prompts: stats.truncatedPrompts, loss_type: args.loss_type, resume_step: resume?.step ?? 0 });

  const result = await trainPolicy({
    config: base.config,
    weights: base.weights,
    data,
    args,
    padId: base.tokenizer.padId,
    ...(resume ? { resume } : {}),
    ...(o.thread ? { thread: o.thread } : {}),
    ...(o.session ? { session: o.session } : {}),
    // use_peft on a bf16 checkpoint: the frozen base stays bf16 in memory (exact: its weights are bf16 values).
    ...(args.use_peft && base.config.torch_dtype === 'bfloat16' ? { loraBaseDtype: 'bfloat16' as const } : {}),
    onSave: async (state) => {
      await states.save(state);
      logger.info('train.state_saved', { run_id: run, round: t, step: state.step });
      await o.afterSave?.(state);
    },
    onStep: (entry, line) => logger.info('train.step', { run_id: run, round: t, line, step: entry.step }),
  });

  // Metrics first: once _COMPLETE exists a redelivery only republishes the event.
  const metricsKey = roundMetricsKey(run, t);
  const existing: RoundMetrics = await store.getJson(metricsKey, roundMetricsSchema).catch((e: unknown) => {
    // A missing record is the norm; an unreadable one must not block the round forever.
    if (!isNotFound(e)) logger.warn('train.metrics_replaced', { key: metricsKey, error: reasonOf(e) });
    return { run_id: run, round: t };
  });
  const summary = { ...result.summary, 'train/dropped_empty_rows': dropped.length };
  await store.putJson(metricsKey, roundMetricsSchema.parse({ ...existing, train: { log_history: result.logHistory, summary } }));

  const local = join(o.cacheDir, 'out', `${run}-${t + 1}-${randomUUID().slice(0, 8)}`);
  await mkdir(join(o.cacheDir, 'out'), { recursive: true });
  try {
    // use_peft: round t's adapter (on pi_t) in PEFT format under adapter/, beside the merged pi_{t+1}.
    const adapter = result.adapter ? { adapter: { ...result.adapter, baseModelNameOrPath: manifest.checkpoint_key } } : {};
    await writeTrainedCheckpoint(local, { base, weights: result.weights, trainingArgs: manifest.config, logHistory: result.logHistory, summary: result.summary, ...adapter });
    await uploadFolder(store, local, checkpointPrefix(run, t + 1), { lastFile: '_COMPLETE' });
  } finally {
    await rm(local, { recursive: true, force: true });
  }
  await states.clear().catch((e: unknown) => logger.warn('train.state_cleanup_failed', { error: reasonOf(e) }));
  await events.send(ready);
  logger.info('train.done', { run_id: run, round: t, checkpoint: checkpointPrefix(run, t + 1), steps: result.summary['train/steps'], loss: result.summary['train/loss'] });
  return resume ? 'resumed' : 'trained';
}
