import { describe, expect, it } from 'vitest';
import { PreferenceInputError } from '../errors.ts';
import { logSigmoid, sigmoid } from './sigmoid.ts';
import { aggregateScores, preferenceMatrix, preferenceMatrixFromScores, selectPair, winRates } from './matrix.ts';

// SPPO-REFERENCE 2.2 worked example: PairRM scores, which sum to 0.
const SCORES = [0.8, 0.1, -0.3, 0.5, -1.1];
/** A logit matrix whose official aggregation gives SCORES: C_ij = (s_i - s_j)/2 + bias (i != j).
 *  Then C_ij - C_ji = s_i - s_j and s_i = (1/K) sum_j (s_i - s_j) = s_i - mean(s) = s_i. The
 *  constant position bias must cancel; a garbage diagonal must be ignored. */
function logitsFor(scores: number[], bias = 0.37): number[][] {
  return scores.map((si, i) => scores.map((sj, j) => (i === j ? 99 : (si - sj) / 2 + bias)));
}

describe('sigmoid / logSigmoid', () => {
  it('are exact and stable at extremes', () => {
    expect(sigmoid(0)).toBe(0.5);
    expect(sigmoid(1.9)).toBeCloseTo(0.8698915256370021, 15);
    expect(sigmoid(-1000)).toBe(0);
    expect(sigmoid(1000)).toBe(1);
    expect(logSigmoid(-800)).toBe(-800);
    expect(Math.abs(logSigmoid(800))).toBe(0);
    expect(logSigmoid(40)).toBeCloseTo(-Math.exp(-40), 30);
    expect(logSigmoid(0.3)).toBeCloseTo(-0.554355244468527, 14);
  });
});

describe('aggregateScores', () => {
  it('recovers the worked example scores (K in the denominator, position bias cancels, diagonal ignored)', () => {
    const s = aggregateScores(logitsFor(SCORES));
    s.forEach((value, i) => expect(value).toBeCloseTo(SCORES[i] ?? Number.NaN, 12));
  });

  it('divides by K, not K-1, and has the sign of "i beats j"', () => {
    // Only C[0][1] = 3 is non-zero: s_0 = 3/3 = 1, s_1 = -1 (K = 3; with K-1 it would be 1.5).
    const s = aggregateScores([
      [0, 3, 0],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(s).toEqual([1, -1, 0]);
  });
});

describe('preferenceMatrix', () => {
  it('official: P_ij = sigmoid(s_i - s_j), P_ii = 0.5, complementary', () => {
    const p = preferenceMatrix(logitsFor(SCORES), 'official');
    expect(p[0]?.[4]).toBeCloseTo(0.8698915256370021, 12); // chosen_probs = sigmoid(1.9) = 0.870
    expect(p[4]?.[0]).toBeCloseTo(1 - 0.8698915256370021, 12);
    p.forEach((row, i) => expect(row[i]).toBe(0.5));
    expect(preferenceMatrixFromScores(SCORES)[0]?.[4]).toBeCloseTo(0.8698915256370021, 12);
  });

  it('direct: P_ij = sigmoid(C_ij - C_ji), independent of the other candidates', () => {
    const c = [
      [0, 2, 5],
      [1, 0, -4],
      [0, 7, 0],
    ];
    const p = preferenceMatrix(c, 'direct');
    expect(p[0]?.[1]).toBeCloseTo(sigmoid(1), 15);
    expect(p[1]?.[2]).toBeCloseTo(sigmoid(-11), 15);
    expect(p[2]?.[0]).toBeCloseTo(sigmoid(-5), 15);
    expect(p[1]?.[1]).toBe(0.5);
    // official differs: it shrinks by 2/K and mixes in the third candidate (uclaml/SPPO issue #15)
    expect(preferenceMatrix(c, 'official')[0]?.[1]).not.toBeCloseTo(p[0]?.[1] ?? 0, 3);
  });
});

describe('winRates', () => {
  const p = preferenceMatrixFromScores(SCORES);
  it('include_self (official) averages over all K including the 0.5 diagonal', () => {
    const w = winRates(p, 'include_self');
    expect(w[0]).toBeCloseTo(0.6725563840423889, 12); // chosen_probs_win 0.6726
    expect(w[4]).toBeCloseTo(0.26791816492048864, 12); // chosen_probs_lose 0.2679
    // targets eta * (p - 1/2) at eta = 1000
    expect(1000 * ((w[0] ?? 0) - 0.5)).toBeCloseTo(172.556, 2);
    expect(1000 * ((w[4] ?? 0) - 0.5)).toBeCloseTo(-232.082, 2);
  });
  it('exclude_self averages over the other K-1', () => {
    const w = winRates(p, 'exclude_self');
    expect(w[0]).toBeCloseTo(0.7156954800529862, 12);
    expect(w[4]).toBeCloseTo(0.20989770615061082, 12);
  });
  it('rejects a wrong diagonal and probabilities outside [0, 1]', () => {
    expect(() => winRates([[0, 1], [0, 0.5]], 'include_self')).toThrow(/diagonal must be 0.5/);
    expect(() => winRates([[0.5, 1.2], [-0.2, 0.5]], 'include_self')).toThrow(/outside \[0, 1\]/);
  });
});

describe('intransitive 3-cycle (rock-paper-scissors)', () => {
  // 0 beats 1, 1 beats 2, 2 beats 0, each with probability 3/4: C_ij - C_ji = ln 3.
  const h = Math.log(3) / 2;
  const c = [
    [0, h, -h],
    [-h, 0, h],
    [h, -h, 0],
  ];
  it('direct keeps the cycle; every win rate is exactly 1/2', () => {
    const p = preferenceMatrix(c, 'direct');
    expect(p[0]?.[1]).toBeCloseTo(0.75, 14);
    expect(p[1]?.[2]).toBeCloseTo(0.75, 14);
    expect(p[2]?.[0]).toBeCloseTo(0.75, 14);
    expect(p[1]?.[0]).toBeCloseTo(0.25, 14);
    for (const w of winRates(p, 'include_self')) expect(w).toBeCloseTo(0.5, 14);
    for (const w of winRates(p, 'exclude_self')) expect(w).toBeCloseTo(0.5, 14);
  });
  it('official aggregation flattens it: all scores 0, P all 1/2, and the NumPy tie rule picks 0 and 0', () => {
    const s = aggregateScores(c);
    for (const value of s) expect(value).toBeCloseTo(0, 15);
    for (const row of preferenceMatrix(c, 'official')) for (const value of row) expect(value).toBeCloseTo(0.5, 15);
    expect(selectPair([0, 0, 0])).toEqual({ winner: 0, loser: 0 });
  });
});

describe('selectPair', () => {
  it('argmax / argmin with first-index ties', () => {
    expect(selectPair(SCORES)).toEqual({ winner: 0, loser: 4 });
    expect(selectPair([1, 3, 3, -2, -2])).toEqual({ winner: 1, loser: 3 });
  });
});

describe('input errors', () => {
  it('rejects K < 2, ragged, non-square and non-finite matrices with typed errors', () => {
    expect(() => aggregateScores([[0]])).toThrow(PreferenceInputError);
    expect(() => aggregateScores([[0]])).toThrow(/K >= 2/);
    expect(() => aggregateScores([[0, 1], [1]])).toThrow(/square/);
    expect(() => preferenceMatrix([[0, 1, 2], [1, 0, 2]], 'direct')).toThrow(/square/);
    expect(() => aggregateScores([[0, Number.NaN], [1, 0]])).toThrow(/finite/);
    expect(() => selectPair([1, Number.POSITIVE_INFINITY])).toThrow(/finite/);
    expect(() => preferenceMatrix([[0, 1], [1, 0]], 'bogus' as 'direct')).toThrow(/'official' or 'direct'/);
  });
});
