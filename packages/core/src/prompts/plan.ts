/**
 * The prompt pool and how a round's prompts are cut into shards. Official SPPO uses a new, disjoint
 * ~20k part of UltraFeedback in each of its 3 iterations (SPPO-REFERENCE 1.5) and splits each part
 * into contiguous per-GPU shards (generate.sh FRAC_LEN). Here round t takes the next
 * `prompts_per_iteration` prompts of the pool (wrapping around when it runs out), in order, and
 * shard i holds prompts [i * prompts_per_shard, (i + 1) * prompts_per_shard) of them.
 */
import { z } from 'zod';
import { ValidationError, type ValidationIssue } from '../errors.ts';
import type { PromptEntry } from '../config/run-config.ts';

/** One line of the pool JSONL (runs/{run}/prompts/prompts.jsonl or a user's {key} object). */
export const promptPoolRowSchema = z.object({ prompt_id: z.string().min(1).optional(), prompt: z.string().min(1) });
export interface PoolPrompt {
  prompt_id: string;
  prompt: string;
}

/**
 * Gives every prompt a stable id: its own `prompt_id`, else `p{index}` (its 0-based position in the
 * pool). Throws ValidationError listing every duplicated id.
 */
export function normalizePrompts(entries: readonly (PromptEntry | z.infer<typeof promptPoolRowSchema>)[]): PoolPrompt[] {
  const pool = entries.map((entry, index) =>
    typeof entry === 'string' ? { prompt_id: `p${index}`, prompt: entry } : { prompt_id: entry.prompt_id ?? `p${index}`, prompt: entry.prompt },
  );
  const firstSeen = new Map<string, number>();
  const issues: ValidationIssue[] = [];
  pool.forEach((row, index) => {
    const first = firstSeen.get(row.prompt_id);
    if (first === undefined) firstSeen.set(row.prompt_id, index);
    else issues.push({ path: `prompts[${index}].prompt_id`, message: `duplicate prompt_id "${row.prompt_id}" (first used by prompts[${first}]); prompt ids must be unique` });
  });
  if (issues.length > 0) throw new ValidationError('prompt pool', issues);
  return pool;
}

export interface RoundPlanOptions {
  poolSize: number;
  round: number;
  numIterations: number;
  /** 0 = floor(poolSize / numIterations) (at least 1): a new disjoint part each round. */
  promptsPerIteration?: number;
  promptsPerShard: number;
}

/** Prompts used per round. */
export function promptsPerRound({ poolSize, numIterations, promptsPerIteration = 0 }: Omit<RoundPlanOptions, 'round' | 'promptsPerShard'>): number {
  if (!Number.isInteger(poolSize) || poolSize < 1) throw new RangeError(`the prompt pool is empty (size ${poolSize}): give at least one prompt`);
  return promptsPerIteration > 0 ? promptsPerIteration : Math.max(1, Math.floor(poolSize / numIterations));
}

/** Number of shards of every round (constant across rounds). */
export function roundShardCount(options: Omit<RoundPlanOptions, 'round'>): number {
  return Math.ceil(promptsPerRound(options) / options.promptsPerShard);
}

/** Pool indexes of each shard of round t: shard i gets the i-th block of prompts_per_shard. */
export function planRound(options: RoundPlanOptions): { shard: number; indices: number[] }[] {
  const perRound = promptsPerRound(options);
  const { poolSize, round, promptsPerShard } = options;
  if (!Number.isInteger(promptsPerShard) || promptsPerShard < 1) throw new RangeError(`promptsPerShard must be a positive integer, got ${promptsPerShard}`);
  const start = round * perRound;
  const shards: { shard: number; indices: number[] }[] = [];
  for (let offset = 0; offset < perRound; offset += promptsPerShard) {
    const indices: number[] = [];
    for (let j = offset; j < Math.min(perRound, offset + promptsPerShard); j++) indices.push((start + j) % poolSize);
    shards.push({ shard: shards.length, indices });
  }
  return shards;
}
