/**
 * The run's evaluation prompts at creation (issue 21): `eval_prompts` (inline, or a JSONL/Parquet
 * object in the tenant's area, like `prompts`) or `eval_holdout` N prompts held out of the pool by
 * core's seeded holdOutPrompts. They are stored at runs/{run}/eval/prompts.jsonl and the training
 * pool (runs/{run}/prompts/prompts.jsonl) never holds a held-out prompt, so no round trains on it.
 */
import { evalPromptsKey, holdOutPrompts, normalizePrompts, toJsonl, ValidationError, type PoolPrompt, type RunConfig } from '@sppo/core';
import type { RunStore } from '../ports.ts';
import { resolvePromptSource } from './prompts.ts';

export interface SplitPrompts {
  /** The training pool. */
  pool: PoolPrompt[];
  /** The evaluation prompts; [] when evaluation is off. */
  evalPrompts: PoolPrompt[];
}

export async function resolveEvalPrompts(config: RunConfig, pool: PoolPrompt[], { store, tenant }: { store: RunStore; tenant: string }): Promise<SplitPrompts> {
  if (config.eval_prompts !== undefined && config.eval_holdout > 0) {
    throw new ValidationError('run config', [
      { path: 'eval_holdout', message: `give eval_prompts or eval_holdout, not both (eval_holdout is ${config.eval_holdout}); set eval_holdout to 0 to evaluate on eval_prompts` },
    ]);
  }
  if (config.eval_holdout > 0) {
    if (config.eval_holdout >= pool.length) {
      throw new ValidationError('run config', [
        { path: 'eval_holdout', message: `eval_holdout ${config.eval_holdout} must be smaller than the prompt pool (${pool.length} prompts): training needs at least one prompt` },
      ]);
    }
    const { train, eval: held } = holdOutPrompts(pool, config.eval_holdout, config.seed);
    return { pool: train, evalPrompts: held };
  }
  if (config.eval_prompts === undefined) return { pool, evalPrompts: [] };
  const rows = await resolvePromptSource(config.eval_prompts, { store, tenant, path: 'eval_prompts' });
  // Ids the file does not give are e0, e1, ... so they never read like a training prompt's p{i}.
  const named = Array.isArray(config.eval_prompts)
    ? config.eval_prompts.map((entry, i) => (typeof entry === 'string' ? { prompt_id: `e${i}`, prompt: entry } : { prompt_id: entry.prompt_id ?? `e${i}`, prompt: entry.prompt }))
    : rows;
  try {
    return { pool, evalPrompts: normalizePrompts(named) };
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError('eval_prompts', error.issues.map((issue) => ({ ...issue, path: issue.path.replace(/^prompts/, 'eval_prompts') })));
  }
}

export async function writeEvalPrompts(store: RunStore, runId: string, prompts: readonly PoolPrompt[]): Promise<void> {
  await store.put(evalPromptsKey(runId), toJsonl(prompts.map((p) => ({ prompt_id: p.prompt_id, prompt: p.prompt }))), 'application/x-ndjson');
}
