import { describe, expect, it } from 'vitest';
import { nashMix, totalVariation } from './nash.ts';
import { oracleStyleGame } from './evaluate.ts';

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** P for a rock-paper-scissors cycle 0 > 1 > 2 > 0 with win strengths a (0 over 1), b (1 over 2), c (2 over 0). */
function cycle(a: number, b: number, c: number): number[][] {
  return [
    [0.5, a, 1 - c],
    [1 - a, 0.5, b],
    [c, 1 - b, 0.5],
  ];
}

/** No pure strategy beats the mix: max_k sum_j (P[k][j] - 1/2) x_j <= 0. */
function exploitability(P: number[][], x: number[]): number {
  return Math.max(...P.map((row) => row.reduce((s, p, j) => s + (p - 0.5) * (x[j] as number), 0)));
}

describe('nashMix', () => {
  it('is uniform for a symmetric cycle (the oracle game)', () => {
    const x = nashMix(cycle(sigmoid(1), sigmoid(1), sigmoid(1)));
    for (const v of x) expect(v).toBeCloseTo(1 / 3, 12);
    const game = oracleStyleGame();
    expect(game.nash.plain).toBeCloseTo(1 / 3, 12);
    expect(game.preference[1]?.[0]).toBeCloseTo(sigmoid(1), 12); // formal beats plain
  });

  it('weights an unequal cycle in closed form: x proportional to (b-1/2, c-1/2, a-1/2)', () => {
    // Skew-symmetric A with A01 = a', A12 = b', A20 = c': its kernel is (b', c', a').
    const [a, b, c] = [0.8, 0.6, 0.7];
    const x = nashMix(cycle(a, b, c));
    const k = [b - 0.5, c - 0.5, a - 0.5];
    const total = k.reduce((s, v) => s + v, 0);
    x.forEach((v, i) => expect(v).toBeCloseTo((k[i] as number) / total, 12));
    expect(exploitability(cycle(a, b, c), x)).toBeLessThan(1e-12);
  });

  it('is pure on a Condorcet winner, and mixes only the undominated pair', () => {
    expect(nashMix(cycle(0.7, 0.6, 0.4))).toEqual([1, 0, 0]); // 0 beats 1 and 2
    // 0 and 1 tie each other and both beat 2: any mix of 0 and 1 is an equilibrium; 2 gets nothing.
    const x = nashMix([
      [0.5, 0.5, 0.9],
      [0.5, 0.5, 0.8],
      [0.1, 0.2, 0.5],
    ]);
    expect(x[2]).toBe(0);
    expect(exploitability([[0.5, 0.5, 0.9], [0.5, 0.5, 0.8], [0.1, 0.2, 0.5]], x)).toBeLessThan(1e-12);
  });

  it('names the bad entry of a matrix that is not a preference', () => {
    expect(() => nashMix([])).toThrow(/empty/);
    expect(() => nashMix([[0.5, 0.7], [0.5, 0.5]])).toThrow(/P\[0\]\[1\] \+ P\[1\]\[0\]/);
    expect(() => nashMix([[0.5, 1.2], [-0.2, 0.5]])).toThrow(/P\[0\]\[1\] = 1\.2/);
    expect(() => nashMix([[0.5, 0.5]])).toThrow(/row 0 has 2 entries/);
  });
});

describe('totalVariation', () => {
  it('is half the L1 distance', () => {
    expect(totalVariation([1, 0, 0], [1 / 3, 1 / 3, 1 / 3])).toBeCloseTo(2 / 3, 15);
    expect(totalVariation([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(() => totalVariation([1], [0.5, 0.5])).toThrow(/share their outcomes/);
  });
});
