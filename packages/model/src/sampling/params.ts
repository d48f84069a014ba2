/**
 * Sampling parameters, named after transformers' GenerationConfig (temperature, top_p, top_k,
 * max_new_tokens) and validated all at once so that one error lists every problem.
 * Semantics follow HF's logits warpers and vLLM: temperature first, then top-k, then top-p over the
 * renormalised top-k distribution; temperature 0 means greedy (argmax).
 */
import { SamplingError } from './errors.ts';

export interface SamplingParams {
  /** 0 = greedy; otherwise logits are divided by it before top-k / top-p. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 turns it off. */
  topP: number;
  /** Keep the k most likely tokens; 0 turns it off. */
  topK: number;
  /** Generated tokens per row at most (the context window may end a row earlier, as 'length'). */
  maxNewTokens: number;
  /** Generation stops after any of these strings; the returned text ends before it (OpenAI `stop`). */
  stop: readonly string[];
  /** Keep generating after an EOS token (benchmarks that need fixed lengths). */
  ignoreEos: boolean;
}

export type SamplingParamsInput = Partial<SamplingParams>;

export const DEFAULT_SAMPLING_PARAMS: Readonly<SamplingParams> = {
  temperature: 1,
  topP: 1,
  topK: 0,
  maxNewTokens: 256,
  stop: [],
  ignoreEos: false,
};

/** OpenAI allows 4 stop sequences; we allow a few more but keep the per-step check cheap. */
export const MAX_STOP_STRINGS = 16;
/** Seeds are 32-bit unsigned integers, like vLLM's per-request seed. */
export const MAX_SEED = 0xffffffff;

/** Fills defaults and checks every field; throws one SamplingError listing every problem. */
export function resolveSamplingParams(input: SamplingParamsInput = {}): SamplingParams {
  const p: SamplingParams = { ...DEFAULT_SAMPLING_PARAMS, ...definedOnly(input) };
  const problems: { param: string; message: string }[] = [];
  if (typeof p.temperature !== 'number' || !Number.isFinite(p.temperature) || p.temperature < 0) {
    problems.push({ param: 'temperature', message: `temperature must be a finite number >= 0 (0 = greedy), got ${String(p.temperature)}` });
  }
  if (typeof p.topP !== 'number' || !(p.topP > 0 && p.topP <= 1)) {
    problems.push({ param: 'top_p', message: `top_p must be in (0, 1] (1 turns nucleus sampling off), got ${String(p.topP)}` });
  }
  if (!Number.isInteger(p.topK) || p.topK < 0) {
    problems.push({ param: 'top_k', message: `top_k must be an integer >= 0 (0 turns it off), got ${String(p.topK)}` });
  }
  if (!Number.isInteger(p.maxNewTokens) || p.maxNewTokens < 1) {
    problems.push({ param: 'max_new_tokens', message: `max_new_tokens must be an integer >= 1, got ${String(p.maxNewTokens)}` });
  }
  if (!Array.isArray(p.stop) || p.stop.some((s) => typeof s !== 'string' || s.length === 0) || p.stop.length > MAX_STOP_STRINGS) {
    problems.push({ param: 'stop', message: `stop must be a list of at most ${MAX_STOP_STRINGS} non-empty strings, got ${JSON.stringify(p.stop)}` });
  }
  if (typeof p.ignoreEos !== 'boolean') problems.push({ param: 'ignore_eos', message: `ignore_eos must be a boolean, got ${String(p.ignoreEos)}` });
  throwIfProblems(problems);
  return { ...p, stop: [...p.stop] };
}

/** A seed must be an integer in [0, 2^32 - 1]. */
export function checkSeed(seed: unknown, param = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new SamplingError('invalid_params', `${param} must be an integer from 0 to ${MAX_SEED}, got ${String(seed)}`, { param });
  }
  return seed;
}

function throwIfProblems(problems: { param: string; message: string }[]): void {
  if (problems.length === 0) return;
  const [first] = problems;
  const message = problems.length === 1 ? (first?.message ?? '') : `invalid sampling parameters:\n  - ${problems.map((x) => x.message).join('\n  - ')}`;
  throw new SamplingError('invalid_params', message, { param: first?.param ?? 'params' });
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
