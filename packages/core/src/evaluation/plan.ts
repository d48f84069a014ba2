/**
 * The evaluation stage's plan (issue 21): which rounds are evaluated, which policies each compares,
 * the sampling settings and seeds, and which prompts of a pool are held out for it.
 *
 * Round t trains checkpoint t into t+1; evaluating round t compares pi_{t+1} with pi_0 (the base,
 * like the paper's Table 1 against the SFT model) and with pi_t (the previous policy), on prompts
 * no round trains on. pi_0's samples are made once and shared by every round's evaluation, and
 * pi_t's samples are the ones round t-1's evaluation made (same prompts, seeds and settings).
 */
import type { RunConfig } from '../config/run-config.ts';
import { OFFICIAL_SEED_STRIDE } from '../config/run-config.ts';
import type { PoolPrompt } from '../prompts/plan.ts';
import { mulberry32 } from './random.ts';

/** The part of the run config the evaluation reads. */
export type EvalConfig = Pick<
  RunConfig,
  | 'eval_prompts'
  | 'eval_holdout'
  | 'eval_samples_per_prompt'
  | 'eval_every'
  | 'eval_temperature'
  | 'eval_top_p'
  | 'eval_top_k'
  | 'eval_max_new_tokens'
  | 'temperature'
  | 'top_p'
  | 'top_k'
  | 'max_new_tokens'
  | 'num_iterations'
>;

/** On when the run has evaluation prompts: given (`eval_prompts`) or held out (`eval_holdout` > 0). */
export function evaluationEnabled(config: Pick<RunConfig, 'eval_prompts' | 'eval_holdout'>): boolean {
  return config.eval_prompts !== undefined || config.eval_holdout > 0;
}

/** Round t is evaluated when checkpoint t+1 is a multiple of eval_every, and always the last round. */
export function isEvaluatedRound({ numIterations, evalEvery }: { numIterations: number; evalEvery: number }, t: number): boolean {
  if (!Number.isInteger(t) || t < 0 || t >= numIterations) return false;
  return (t + 1) % evalEvery === 0 || t === numIterations - 1;
}

/** The evaluated rounds of a run, in order. */
export function evaluatedRounds(options: { numIterations: number; evalEvery: number }): number[] {
  return Array.from({ length: options.numIterations }, (_, t) => t).filter((t) => isEvaluatedRound(options, t));
}

export interface EvalPolicies {
  /** Checkpoint t+1, the policy round t produced. */
  candidate: number;
  /** Checkpoints it is compared with: [0, t], one entry when t = 0 (pi_t is pi_0). */
  baselines: number[];
}

export function evalPolicies(t: number): EvalPolicies {
  return { candidate: t + 1, baselines: t === 0 ? [0] : [0, t] };
}

/** Every checkpoint whose samples round t's evaluation needs: 0, t and t+1 (unique, ascending). */
export function evalPolicyList(t: number): number[] {
  const { candidate, baselines } = evalPolicies(t);
  return [...new Set([...baselines, candidate])].sort((a, b) => a - b);
}

export interface EvalSampling {
  temperature: number;
  top_p: number;
  top_k: number;
  max_new_tokens: number;
}

/** The evaluation's sampling settings: each eval_* field, else the run's generation setting. */
export function evalSampling(config: EvalConfig): EvalSampling {
  return {
    temperature: config.eval_temperature ?? config.temperature,
    top_p: config.eval_top_p ?? config.top_p,
    top_k: config.eval_top_k ?? config.top_k,
    max_new_tokens: config.eval_max_new_tokens ?? config.max_new_tokens,
  };
}

/**
 * Seeds of the evaluation samples: sample k uses 50*k like the official generation (SPPO-REFERENCE
 * 2.2 step 4), the same for every policy and round, so two policies' sample k differ only by the
 * policy and a rerun gives the same bytes.
 */
export function evalSeeds(config: Pick<RunConfig, 'eval_samples_per_prompt'>): number[] {
  return Array.from({ length: config.eval_samples_per_prompt }, (_, k) => OFFICIAL_SEED_STRIDE * k);
}

/**
 * Splits a pool into training prompts and `count` held-out evaluation prompts, chosen by a seeded
 * partial Fisher-Yates shuffle (not the pool's tail, which is often one topic), each part keeping
 * the pool's order and ids. Throws RangeError unless 1 <= count < pool size (training needs one).
 */
export function holdOutPrompts(pool: readonly PoolPrompt[], count: number, seed: number): { train: PoolPrompt[]; eval: PoolPrompt[] } {
  if (!Number.isInteger(count) || count < 1 || count >= pool.length) {
    throw new RangeError(`eval_holdout ${count} must be an integer from 1 to ${pool.length - 1} (the pool has ${pool.length} prompts and training needs at least one)`);
  }
  const random = mulberry32(seed);
  const order = pool.map((_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (order.length - i));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const held = new Set(order.slice(0, count));
  return { train: pool.filter((_, i) => !held.has(i)), eval: pool.filter((_, i) => held.has(i)) };
}
