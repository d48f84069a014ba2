import { describe, expect, it } from 'vitest';
import { createSampleRng } from './rng.ts';

const take = (seed: number, n: number): number[] => {
  const rng = createSampleRng(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('createSampleRng', () => {
  it('is a pure function of the seed', () => {
    expect(take(50, 100)).toEqual(take(50, 100));
  });

  it('gives different streams for different seeds, including 0 and large seeds', () => {
    const streams = [0, 1, 50, 100, 2 ** 32 - 1].map((s) => take(s, 8).join(','));
    expect(new Set(streams).size).toBe(streams.length);
  });

  it('draws uniforms in [0, 1) with the right mean and spread', () => {
    const xs = take(7, 50_000);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    expect(mean).toBeCloseTo(0.5, 2);
    expect(variance).toBeCloseTo(1 / 12, 2);
  });
});
