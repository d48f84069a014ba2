/**
 * The `eval_generate` task (issue 21): checkpoint c's samples of the evaluation prompts of eval
 * shard i, at runs/{run}/eval/policy={c}/generations/shard={i}.jsonl, for round t's evaluation
 * (t, c and i from the task; the prompts, checkpoint and settings from round t's evaluation
 * manifest). Sampling uses the evaluation settings (core's evalSampling: eval_* or the run's) and
 * seeds 50*k, so pi_0's samples serve every round and a rerun writes the same bytes.
 *
 * Like the generate task: one put of the whole shard, then `eval.generated`; an existing valid
 * shard is not regenerated (the event is sent again); a cancelled run is skipped; what cannot
 * succeed is a permanent error (dead-lettered, the unit's failure recorded).
 */
import type { Logger } from '@sppo/cloud';
import { isNotFound, isRunCancelled, type ObjectStore } from '@sppo/cloud';
import {
  evalGenerationRowSchema,
  evalGenerationShardKey,
  evalManifestKey,
  evalManifestSchema,
  evalSampling,
  evalSeeds,
  normalizePrompts,
  parseJsonl,
  promptPoolRowSchema,
  toJsonl,
  type EvalGenerateTask,
  type EvalManifest,
  type PoolPrompt,
} from '@sppo/core';
import { PermanentGenerateError } from './errors.ts';
import { backendFor, type GenerateHandlerOptions, type GenerateOutcome } from './handler.ts';
import { generateRows } from './rows.ts';

const encoder = new TextEncoder();

async function readEvalManifest(store: ObjectStore, task: EvalGenerateTask): Promise<EvalManifest> {
  const key = evalManifestKey(task.run_id, task.round);
  try {
    return await store.getJson(key, evalManifestSchema);
  } catch (e) {
    if (isNotFound(e)) throw new PermanentGenerateError(`round ${task.round} of run ${task.run_id} has no evaluation manifest (${key}): its evaluation was never started`);
    throw new PermanentGenerateError(`the evaluation manifest ${key} is invalid: ${(e as Error).message}`);
  }
}

async function readEvalPool(store: ObjectStore, manifest: EvalManifest): Promise<PoolPrompt[]> {
  const source = manifest.config.eval_prompts;
  if (source === undefined) throw new PermanentGenerateError(`run ${manifest.run_id} has no eval_prompts in its config: evaluation is off`);
  // Inline prompts without ids are e0, e1, ... as the gateway names them (runs/eval-prompts.ts).
  if (Array.isArray(source)) return normalizePrompts(source.map((entry, i) => (typeof entry === 'string' ? { prompt_id: `e${i}`, prompt: entry } : { prompt_id: entry.prompt_id ?? `e${i}`, prompt: entry.prompt })));
  let result;
  try {
    result = await store.readJsonl(source.key, promptPoolRowSchema);
  } catch (e) {
    if (isNotFound(e)) throw new PermanentGenerateError(`the evaluation prompts ${source.key} do not exist`);
    throw e;
  }
  if (result.errors.length > 0) throw new PermanentGenerateError(`the evaluation prompts ${source.key} have ${result.errors.length} bad line(s), first: line ${result.errors[0]?.line}: ${result.errors[0]?.message}`);
  return normalizePrompts(result.rows);
}

async function existingShard(store: ObjectStore, key: string, promptIds: readonly string[], seeds: readonly number[]): Promise<boolean> {
  let text: string;
  try {
    text = await store.getText(key);
  } catch (e) {
    if (isNotFound(e)) return false;
    throw e;
  }
  try {
    const rows = parseJsonl(text, evalGenerationRowSchema, { subject: key });
    return rows.length === promptIds.length && rows.every((row, i) => row.prompt_id === promptIds[i] && row.seeds.length === seeds.length && row.seeds.every((s, k) => s === seeds[k]));
  } catch {
    return false;
  }
}

export async function generateEvalShard(task: EvalGenerateTask, logger: Logger, options: GenerateHandlerOptions): Promise<GenerateOutcome> {
  const { store, events } = options;
  const { run_id: run, round, policy, shard } = task;
  const generated = { type: 'eval.generated', run_id: run, policy, shard } as const;
  if (await isRunCancelled(store, run)) {
    logger.info('eval_generate.skipped_cancelled', { run_id: run, round, policy, shard });
    return 'skipped-cancelled';
  }
  const manifest = await readEvalManifest(store, task);
  const entry = manifest.shards[shard];
  if (entry === undefined) throw new PermanentGenerateError(`the evaluation of round ${round} has ${manifest.shards.length} eval shard(s); shard ${shard} does not exist`);
  const checkpoint = manifest.checkpoints.find((c) => c.policy === policy);
  if (checkpoint === undefined) {
    throw new PermanentGenerateError(`round ${round}'s evaluation compares checkpoints ${manifest.checkpoints.map((c) => c.policy).join(', ')}, not ${policy}`);
  }
  const { config } = manifest;
  const seeds = evalSeeds(config);
  const key = evalGenerationShardKey(run, policy, shard);
  if (await existingShard(store, key, entry.prompt_ids, seeds)) {
    await events.send(generated);
    logger.info('eval_generate.already_done', { run_id: run, round, policy, shard });
    return 'already-done';
  }
  const pool = new Map((await readEvalPool(store, manifest)).map((p) => [p.prompt_id, p.prompt]));
  const unknown = entry.prompt_ids.filter((id) => !pool.has(id));
  if (unknown.length > 0) throw new PermanentGenerateError(`eval shard ${shard} lists prompt ids that are not evaluation prompts: ${unknown.slice(0, 20).join(', ')}`);
  const prompts = entry.prompt_ids.map((id) => ({ prompt_id: id, prompt: pool.get(id) as string }));
  const { backend, template } = await backendFor(config, checkpoint.key, options);
  const sampling = evalSampling(config);
  logger.info('eval_generate.started', { run_id: run, round, policy, shard, prompts: prompts.length, samples_per_prompt: seeds.length, checkpoint: checkpoint.key });
  const rows = await generateRows({
    backend,
    prompts,
    template,
    seeds,
    params: { temperature: sampling.temperature, topP: sampling.top_p, topK: sampling.top_k, maxNewTokens: sampling.max_new_tokens },
  });
  await store.put(key, encoder.encode(toJsonl(rows)), { contentType: 'application/x-ndjson' });
  await events.send(generated);
  logger.info('eval_generate.done', { run_id: run, round, policy, shard, responses: rows.length * seeds.length });
  return 'generated';
}
