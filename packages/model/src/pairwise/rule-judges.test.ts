// Rule judges give exact logits, so the preference maths of a judge round can be checked exactly:
// the worked example of SPPO-REFERENCE 2.2 and an intransitive (rock-paper-scissors) judge.
import { buildTriplets, preferenceMatrix, sigmoid, winRates } from '@sppo/core';
import { describe, expect, it } from 'vitest';
import { compareAllPairs, orderedPairs } from './all-pairs.ts';
import { createLengthJudge, createRewardJudge, createRpsJudge, createRuleJudge, rpsStyleOf } from './rule-judges.ts';

describe('compareAllPairs', () => {
  it('asks every ordered pair of every prompt in one call and fills C[i][j]', async () => {
    const calls: number[] = [];
    const judge = createRewardJudge({ reward: (_p, r) => Number(r) });
    const spy = { name: 'spy', compare: async (b: Parameters<typeof judge.compare>[0]) => (calls.push(b.length), judge.compare(b)) };
    const C = await compareAllPairs(spy, [
      { prompt: 'a', responses: ['1', '4', '2'] },
      { prompt: 'b', responses: ['0', '3'] },
    ]);
    expect(calls).toEqual([3 * 2 + 2 * 1]);
    expect(orderedPairs(3)).toEqual([[0, 1], [0, 2], [1, 0], [1, 2], [2, 0], [2, 1]]);
    expect(C[0]).toEqual([[0, -3, -1], [3, 0, 2], [1, -2, 0]]);
    expect(C[1]).toEqual([[0, -3], [3, 0]]);
  });

  it('rejects a judge that returns the wrong number of logits', async () => {
    await expect(compareAllPairs({ name: 'bad', compare: async () => [1] }, [{ prompt: 'p', responses: ['a', 'b'] }])).rejects.toThrow(/2 comparisons/);
  });
});

describe('reward judge = Bradley-Terry', () => {
  it('reproduces the worked example of SPPO-REFERENCE 2.2 (scores [0.8, 0.1, -0.3, 0.5, -1.1])', async () => {
    // logit = r(c1) - r(c2) gives rm_scores s = 2 (r - mean r); r = s / 2 gives these scores exactly.
    const scores = [0.8, 0.1, -0.3, 0.5, -1.1];
    const responses = ['r0', 'r1', 'r2', 'r3', 'r4'];
    const judge = createRewardJudge({ reward: (_p, r) => (scores[Number(r.slice(1))] as number) / 2 });
    const [C] = await compareAllPairs(judge, [{ prompt: 'x', responses }]);
    const [row] = buildTriplets({ promptId: 'p0', prompt: 'x', responses, C: C as number[][] });
    row!.rm_scores.forEach((s, i) => expect(s).toBeCloseTo(scores[i] as number, 12));
    expect(row!.chosen).toEqual([{ role: 'user', content: 'x' }, { role: 'assistant', content: 'r0' }]);
    expect(row!.rejected).toEqual([{ role: 'user', content: 'x' }, { role: 'assistant', content: 'r4' }]);
    expect(row!.chosen_probs).toBeCloseTo(sigmoid(1.9), 12);
    expect(row!.chosen_probs).toBeCloseTo(0.87, 3);
    expect(row!.chosen_probs_win).toBeCloseTo(0.6726, 4);
    expect(row!.chosen_probs_lose).toBeCloseTo(0.2679, 4);
    // eta = 1000 regression targets of the worked example.
    expect(1000 * (row!.chosen_probs_win - 0.5)).toBeCloseTo(172.6, 1);
    expect(1000 * (row!.chosen_probs_lose - 0.5)).toBeCloseTo(-232.1, 1);
  });

  it('rule:length prefers the longer response, by scale * code points', async () => {
    const judge = createLengthJudge({ scale: 0.5 });
    expect(await judge.compare([{ prompt: 'p', candidate1: 'abcd', candidate2: 'ab' }, { prompt: 'p', candidate1: 'é', candidate2: '🙂🙂' }])).toEqual([1, -0.5]);
    expect(createRuleJudge('rule:length').name).toBe('rule:length');
  });
});

describe('rule:rps, an intransitive judge', () => {
  const responses = ['I choose rock.', 'Paper, obviously', 'scissors cut'];

  it('paper beats rock beats scissors beats paper, with exact logits', async () => {
    expect(responses.map(rpsStyleOf)).toEqual(['rock', 'paper', 'scissors']);
    const [C] = await compareAllPairs(createRpsJudge({ strength: 2 }), [{ prompt: 'p', responses }]);
    expect(C).toEqual([
      [0, -2, 2],
      [2, 0, -2],
      [-2, 2, 0],
    ]);
  });

  it('direct P keeps the cycle; official aggregation flattens it to 1/2 everywhere', async () => {
    const [C] = await compareAllPairs(createRpsJudge({ strength: 2 }), [{ prompt: 'p', responses }]);
    const direct = preferenceMatrix(C as number[][], 'direct');
    const s4 = sigmoid(4);
    expect(direct[1]![0]).toBeCloseTo(s4, 15); // paper > rock
    expect(direct[0]![2]).toBeCloseTo(s4, 15); // rock > scissors
    expect(direct[2]![1]).toBeCloseTo(s4, 15); // scissors > paper
    // Every response wins once and loses once: include_self win rates are exactly 1/2.
    for (const w of winRates(direct, 'include_self')) expect(w).toBeCloseTo(0.5, 15);
    for (const w of winRates(direct, 'exclude_self')) expect(w).toBeCloseTo(0.5, 15);
    // s_i = (1/K) sum_j (C_ij - C_ji) = (2 - 2 ... ) / 3 = 0 for each: P = 1/2 everywhere.
    const official = preferenceMatrix(C as number[][], 'official');
    for (const row of official) for (const p of row) expect(p).toBe(0.5);
  });

  it('with a fourth, unknown-style response the cycle still gives exact win rates', async () => {
    const four = [...responses, 'no style here'];
    const [C] = await compareAllPairs(createRpsJudge({ strength: 2 }), [{ prompt: 'p', responses: four }]);
    const P = preferenceMatrix(C as number[][], 'direct');
    const s4 = sigmoid(4);
    // Each styled response: one win (s4), one loss (1 - s4), one tie with the unknown (1/2), self 1/2.
    for (const w of winRates(P, 'include_self').slice(0, 3)) expect(w).toBeCloseTo((s4 + (1 - s4) + 0.5 + 0.5) / 4, 15);
    expect(winRates(P, 'include_self')[3]).toBeCloseTo(0.5, 15);
  });

  it('an unknown rule judge name lists the valid ones', () => {
    expect(() => createRuleJudge('rule:nope')).toThrow(/rule:length, rule:rps/);
  });
});
