import { describe, expect, it } from 'vitest';
import { parseRunConfig } from '../config/parse.ts';
import { evalGenerationShardKey, evalJudgeMarkerKey, evalJudgmentShardKey, evalManifestKey, evalMetricsKey, evalPromptsKey, evalGenerateMarkerKey, failureKey, parseKey } from '../keys.ts';
import { evaluatedRounds, evaluationEnabled, evalPolicies, evalSampling, evalSeeds, holdOutPrompts } from './plan.ts';

const pool = Array.from({ length: 20 }, (_, i) => ({ prompt_id: `p${i}`, prompt: `prompt ${i}` }));

describe('holdOutPrompts', () => {
  it('splits the pool into disjoint parts that keep its order and ids, the same for the same seed', () => {
    const { train, eval: held } = holdOutPrompts(pool, 5, 42);
    expect(held).toHaveLength(5);
    expect(train).toHaveLength(15);
    const ids = new Set(held.map((p) => p.prompt_id));
    expect(train.some((p) => ids.has(p.prompt_id))).toBe(false);
    expect([...train, ...held].map((p) => p.prompt_id).sort()).toEqual(pool.map((p) => p.prompt_id).sort());
    expect(held.map((p) => Number(p.prompt_id.slice(1)))).toEqual([...held.map((p) => Number(p.prompt_id.slice(1)))].sort((a, b) => a - b));
    expect(holdOutPrompts(pool, 5, 42)).toEqual({ train, eval: held });
    expect(holdOutPrompts(pool, 5, 7).eval).not.toEqual(held);
    // not simply the tail of the pool
    expect(held.map((p) => p.prompt_id)).not.toEqual(pool.slice(15).map((p) => p.prompt_id));
  });

  it('refuses to hold out the whole pool', () => {
    expect(() => holdOutPrompts(pool, 20, 1)).toThrow(/eval_holdout 20 must be an integer from 1 to 19/);
  });
});

describe('evaluation plan', () => {
  it('is off by default and on with eval_prompts or eval_holdout', () => {
    expect(evaluationEnabled(parseRunConfig({}))).toBe(false);
    expect(evaluationEnabled(parseRunConfig({ eval_holdout: 2 }))).toBe(true);
    expect(evaluationEnabled(parseRunConfig({ eval_prompts: ['a', 'b'] }))).toBe(true);
  });

  it('evaluates every eval_every-th checkpoint and always the last', () => {
    expect(evaluatedRounds({ numIterations: 3, evalEvery: 1 })).toEqual([0, 1, 2]);
    expect(evaluatedRounds({ numIterations: 5, evalEvery: 2 })).toEqual([1, 3, 4]);
    expect(evaluatedRounds({ numIterations: 2, evalEvery: 10 })).toEqual([1]);
    expect(evalPolicies(0)).toEqual({ candidate: 1, baselines: [0] });
    expect(evalPolicies(2)).toEqual({ candidate: 3, baselines: [0, 2] });
  });

  it('samples with the run\'s generation settings unless eval_* are set, with fixed seeds 50k', () => {
    const config = parseRunConfig({ temperature: 0.9, top_p: 0.8, max_new_tokens: 64, eval_temperature: 0, eval_samples_per_prompt: 3 });
    expect(evalSampling(config)).toEqual({ temperature: 0, top_p: 0.8, top_k: 0, max_new_tokens: 64 });
    expect(evalSeeds(config)).toEqual([0, 50, 100]);
  });

  it('names the field and the valid values of a bad evaluation setting', () => {
    expect(() => parseRunConfig({ eval_every: 0 })).toThrow(/eval_every/);
    expect(() => parseRunConfig({ eval_samples_per_prompt: 65 })).toThrow(/eval_samples_per_prompt/);
    expect(() => parseRunConfig({ eval_prompts: { key: '/abs.jsonl' } })).toThrow(/eval_prompts/);
  });
});

describe('evaluation keys', () => {
  it('round-trip through parseKey', () => {
    expect(parseKey(evalPromptsKey('r1'))).toEqual({ kind: 'eval_prompts', run: 'r1' });
    expect(parseKey(evalGenerationShardKey('r1', 0, 3))).toEqual({ kind: 'eval_generation_shard', run: 'r1', policy: 0, shard: 3 });
    expect(parseKey(evalGenerateMarkerKey('r1', 2, 1))).toEqual({ kind: 'eval_generate_marker', run: 'r1', policy: 2, shard: 1 });
    expect(parseKey(evalManifestKey('r1', 1))).toEqual({ kind: 'eval_manifest', run: 'r1', round: 1 });
    expect(parseKey(evalMetricsKey('r1', 1))).toEqual({ kind: 'eval_metrics', run: 'r1', round: 1 });
    expect(parseKey(evalJudgmentShardKey('r1', 1, 0))).toEqual({ kind: 'eval_judgment_shard', run: 'r1', round: 1, shard: 0 });
    expect(parseKey(evalJudgeMarkerKey('r1', 1, 0))).toEqual({ kind: 'eval_judge_marker', run: 'r1', round: 1, shard: 0 });
    expect(parseKey(failureKey('r1', 'eval_generate', 1, 0))).toEqual({ kind: 'failure', run: 'r1', stage: 'eval_generate', round: 1, shard: 0 });
    expect(parseKey('runs/r1/eval/policy=99999/generations/shard=0.jsonl')).toBeNull();
  });
});
