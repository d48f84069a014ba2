/**
 * The `eval_judge` task (issue 21): round t's evaluation of eval shard i. For every prompt and
 * sample k, the judge compares pi_{t+1}'s sample k with each baseline's sample k (pi_0, and pi_t
 * for t > 0) in BOTH orders, C(candidate, baseline) and C(baseline, candidate), in one batched
 * call; the row keeps both logits and the position-debiased P(candidate wins) =
 * sigmoid(C(c, b) - C(b, c)) (core's debiasedWinProbability). Output, one put:
 * runs/{run}/round={t}/eval/judgments/shard={i}.jsonl, then `eval.judged`.
 *
 * Idempotent like the judge task: existing judgments only republish the event; the same samples
 * and judge give the same bytes. A cancelled run is skipped; a missing manifest or sample shard,
 * or an unusable judge, is a permanent error.
 */
import type { Logger } from '@sppo/cloud';
import { isNotFound, isRunCancelled, type ObjectStore, type Queue } from '@sppo/cloud';
import {
  debiasedWinProbability,
  evalGenerationRowSchema,
  evalGenerationShardKey,
  evalJudgmentShardKey,
  evalManifestKey,
  evalManifestSchema,
  parseJsonl,
  toJsonl,
  type EvalGenerationRow,
  type EvalJudgeTask,
  type EvalJudgmentRow,
  type EvalManifest,
} from '@sppo/core';
import type { PairwiseExample, PairwiseJudge } from '@sppo/model';
import { PermanentJudgeError } from './errors.ts';
import type { JudgeResolver } from './judges.ts';

export interface EvalJudgeOptions {
  store: ObjectStore;
  events: Queue;
  judges: JudgeResolver;
}

const encoder = new TextEncoder();

async function readEvalManifest(store: ObjectStore, task: EvalJudgeTask): Promise<EvalManifest> {
  const key = evalManifestKey(task.run_id, task.round);
  try {
    return await store.getJson(key, evalManifestSchema);
  } catch (e) {
    if (isNotFound(e)) throw new PermanentJudgeError(`round ${task.round} of run ${task.run_id} has no evaluation manifest (${key}): its evaluation was never started`);
    throw new PermanentJudgeError(`the evaluation manifest ${key} is invalid: ${(e as Error).message}`);
  }
}

/** Checkpoint c's samples of the shard, by prompt id (every prompt of the shard must be there). */
async function readSamples(store: ObjectStore, run: string, policy: number, shard: number, promptIds: readonly string[]): Promise<Map<string, EvalGenerationRow>> {
  const key = evalGenerationShardKey(run, policy, shard);
  let text: string;
  try {
    text = await store.getText(key);
  } catch (e) {
    if (isNotFound(e)) throw new PermanentJudgeError(`the evaluation samples ${key} do not exist: eval_judge follows eval.generated of every compared checkpoint`);
    throw e;
  }
  const rows = new Map(parseJsonl(text, evalGenerationRowSchema, { subject: key }).map((row) => [row.prompt_id, row]));
  const missing = promptIds.filter((id) => !rows.has(id));
  if (missing.length > 0) throw new PermanentJudgeError(`the evaluation samples ${key} lack prompts ${missing.slice(0, 20).join(', ')}`);
  return rows;
}

/** The judgment rows of one eval shard: candidate sample k against each baseline's sample k, both orders. */
export async function judgeEvalSamples(judge: PairwiseJudge, manifest: EvalManifest, promptIds: readonly string[], samples: ReadonlyMap<number, ReadonlyMap<string, EvalGenerationRow>>): Promise<EvalJudgmentRow[]> {
  const { candidate, baselines } = manifest;
  const cand = samples.get(candidate) as ReadonlyMap<string, EvalGenerationRow>;
  const batch: PairwiseExample[] = [];
  const plan: { row: EvalGenerationRow; k: number }[] = [];
  for (const id of promptIds) {
    const row = cand.get(id) as EvalGenerationRow;
    row.responses.forEach((response, k) => {
      plan.push({ row, k });
      for (const b of baselines) {
        const other = (samples.get(b) as ReadonlyMap<string, EvalGenerationRow>).get(id) as EvalGenerationRow;
        const base = other.responses[k];
        if (base === undefined) throw new PermanentJudgeError(`checkpoint ${b} has ${other.responses.length} evaluation sample(s) of prompt ${id}; checkpoint ${candidate} has ${row.responses.length}`);
        // Same templated prompt as the training judge (prompt_text), both orders.
        batch.push({ prompt: row.prompt_text, candidate1: response, candidate2: base }, { prompt: row.prompt_text, candidate1: base, candidate2: response });
      }
    });
  }
  const logits = batch.length === 0 ? [] : await judge.compare(batch);
  if (logits.length !== batch.length) throw new Error(`judge ${judge.name} returned ${logits.length} logits for ${batch.length} comparisons`);
  let at = 0;
  return plan.map(({ row, k }) => ({
    prompt_id: row.prompt_id,
    prompt: row.prompt,
    sample: k,
    seed: row.seeds[k] as number,
    candidate,
    response: row.responses[k] as string,
    response_tokens: row.response_tokens[k] as number,
    comparisons: baselines.map((b) => {
      const other = (samples.get(b) as ReadonlyMap<string, EvalGenerationRow>).get(row.prompt_id) as EvalGenerationRow;
      const forward = logits[at++] as number;
      const backward = logits[at++] as number;
      return {
        baseline: b,
        response: other.responses[k] as string,
        response_tokens: other.response_tokens[k] as number,
        logit_candidate_first: forward,
        logit_baseline_first: backward,
        win_prob: debiasedWinProbability(forward, backward),
      };
    }),
  }));
}

export async function judgeEvalShard(task: EvalJudgeTask, logger: Logger, { store, events, judges }: EvalJudgeOptions): Promise<'judged' | 'already-done' | 'skipped-cancelled'> {
  const { run_id: run, round, shard } = task;
  const key = evalJudgmentShardKey(run, round, shard);
  const judged = { type: 'eval.judged', run_id: run, round, shard } as const;
  if (await isRunCancelled(store, run)) {
    logger.info('eval_judge.skipped_cancelled', { run_id: run, round, shard });
    return 'skipped-cancelled';
  }
  if (await store.exists(key)) {
    await events.send(judged);
    logger.info('eval_judge.already_done', { run_id: run, round, shard });
    return 'already-done';
  }
  const manifest = await readEvalManifest(store, task);
  const entry = manifest.shards[shard];
  if (entry === undefined) throw new PermanentJudgeError(`the evaluation of round ${round} has ${manifest.shards.length} eval shard(s); shard ${shard} does not exist`);
  const policies = [manifest.candidate, ...manifest.baselines];
  const samples = new Map(await Promise.all(policies.map(async (c) => [c, await readSamples(store, run, c, shard, entry.prompt_ids)] as const)));
  const { config } = manifest;
  const judge = await judges({ judgeModel: config.judge_model, maxSourceTokens: config.judge_max_source_tokens, maxCandidateTokens: config.judge_max_candidate_tokens });
  const rows = await judgeEvalSamples(judge, manifest, entry.prompt_ids, samples);
  await store.put(key, encoder.encode(toJsonl(rows)), { contentType: 'application/x-ndjson' });
  await events.send(judged);
  logger.info('eval_judge.done', { run_id: run, round, shard, rows: rows.length, comparisons: rows.length * manifest.baselines.length * 2 });
  return 'judged';
}
