// The eval_judge unit's comparisons (issue 21) with the real rule:length judge: both orders are
// asked, the debiased probability cancels a judge's preference for either slot, and every prompt
// and sample gets one row with a comparison per baseline.
import { parseRunConfig, type EvalGenerationRow, type EvalManifest } from '@sppo/core';
import { createLengthJudge, type PairwiseExample, type PairwiseJudge } from '@sppo/model';
import { describe, expect, it } from 'vitest';
import { judgeEvalSamples } from './eval-handler.ts';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

function samples(responses: Record<string, string[]>): Map<string, EvalGenerationRow> {
  return new Map(
    Object.entries(responses).map(([id, list]) => [
      id,
      { prompt_id: id, prompt: `prompt ${id}`, prompt_text: `<user>prompt ${id}</user>`, responses: list, seeds: list.map((_, k) => 50 * k), response_tokens: list.map((r) => r.length), finish_reasons: list.map(() => 'stop' as const) },
    ]),
  );
}

const manifest: EvalManifest = {
  run_id: 'r1',
  round: 1,
  candidate: 2,
  baselines: [0, 1],
  checkpoints: [0, 1, 2].map((policy) => ({ policy, key: `runs/r1/checkpoints/${policy}/` })),
  shards: [{ shard: 0, prompt_ids: ['a', 'b'] }],
  created_at: '2026-01-01T00:00:00.000Z',
  config: parseRunConfig({ eval_prompts: ['a', 'b'], eval_samples_per_prompt: 2 }),
};

const policies = new Map([
  [2, samples({ a: ['long answer here', 'mid answer'], b: ['xx', 'yyyyyyyy'] })],
  [0, samples({ a: ['short', 'a much longer answer'], b: ['xxxx', 'yyyy'] })],
  [1, samples({ a: ['long answer here', 'mid'], b: ['x', 'y'] })],
]);

/** rule:length with a fixed bonus for whatever is shown first: a position-biased judge. */
function firstSlotBiased(judge: PairwiseJudge, bonus: number, calls: PairwiseExample[][]): PairwiseJudge {
  return { name: `${judge.name}+first`, compare: async (batch) => (calls.push([...batch]), (await judge.compare(batch)).map((logit) => logit + bonus)) };
}

describe('judgeEvalSamples', () => {
  it('judges sample k against each baseline\'s sample k in both orders; the slot bias cancels', async () => {
    const calls: PairwiseExample[][] = [];
    const fair = await judgeEvalSamples(createLengthJudge(), manifest, ['a', 'b'], policies);
    const biased = await judgeEvalSamples(firstSlotBiased(createLengthJudge(), 3, calls), manifest, ['a', 'b'], policies);
    // 2 prompts x 2 samples x 2 baselines x 2 orders, in one call
    expect(calls.map((c) => c.length)).toEqual([16]);
    expect(calls[0]?.[0]).toEqual({ prompt: '<user>prompt a</user>', candidate1: 'long answer here', candidate2: 'short' });
    expect(calls[0]?.[1]).toEqual({ prompt: '<user>prompt a</user>', candidate1: 'short', candidate2: 'long answer here' });
    expect(fair.map((r) => [r.prompt_id, r.sample, r.comparisons.map((c) => c.baseline)])).toEqual([
      ['a', 0, [0, 1]],
      ['a', 1, [0, 1]],
      ['b', 0, [0, 1]],
      ['b', 1, [0, 1]],
    ]);
    const probs = (rows: typeof fair) => rows.flatMap((r) => r.comparisons.map((c) => c.win_prob));
    probs(biased).forEach((p, i) => expect(p).toBeCloseTo(probs(fair)[i] as number, 12));
    // 'long answer here' (16 chars) vs 'short' (5): logits +-11/16 each way, sigmoid of the difference
    expect(fair[0]?.comparisons[0]?.win_prob).toBeCloseTo(sigmoid(22 / 16), 12);
    // the same response on both sides: exactly 0.5
    expect(fair[0]?.comparisons[1]?.win_prob).toBe(0.5);
    expect(biased[0]?.comparisons[0]).toMatchObject({ logit_candidate_first: 11 / 16 + 3, logit_baseline_first: -11 / 16 + 3 });
  });
});
