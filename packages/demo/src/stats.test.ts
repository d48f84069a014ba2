import { describe, expect, it } from 'vitest';
import { mean, meanCi95, normalQuantile, studentTQuantile, styleDistribution, winRate } from './stats.ts';

describe('confidence intervals', () => {
  it('has accurate normal and t quantiles', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    // exact t quantiles (tables): df 5 -> 2.570582, df 10 -> 2.228139, df 30 -> 2.042272, df 100 -> 1.983972
    expect(studentTQuantile(0.975, 5)).toBeCloseTo(2.570582, 2);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228139, 3);
    expect(studentTQuantile(0.975, 30)).toBeCloseTo(2.042272, 4);
    expect(studentTQuantile(0.975, 100)).toBeCloseTo(1.983972, 5);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it('computes the Student-t interval of a mean by hand', () => {
    const values = [0.2, 0.4, 0.6, 0.8];
    const ci = meanCi95(values);
    const sd = Math.sqrt(((0.3 ** 2 + 0.1 ** 2) * 2) / 3);
    const half = 3.182446 * (sd / 2); // t_{0.975, 3}
    expect(ci.mean).toBeCloseTo(0.5, 15);
    expect(ci.se).toBeCloseTo(sd / 2, 15);
    expect(ci.ci95[0]).toBeCloseTo(0.5 - half, 2);
    expect(ci.ci95[1]).toBeCloseTo(0.5 + half, 2);
    expect(meanCi95([0.3, 0.3, 0.3]).ci95).toEqual([0.3, 0.3]);
    expect(() => meanCi95([])).toThrow(RangeError);
  });

  it('clamps win-rate intervals to [0, 1] and averages each prompt first', () => {
    const w = winRate([[1, 1], [1, 1], [0.9, 1]]);
    expect(w.mean).toBeCloseTo((1 + 1 + 0.95) / 3, 15);
    expect(w.ci95[1]).toBe(1);
    expect(w.ci95[0]).toBeLessThan(w.mean);
    // prompt-level averaging: 1 prompt with 3 samples and 1 with 1 sample weigh the same
    expect(winRate([[1, 1, 1], [0]]).mean).toBe(0.5);
    expect(() => winRate([[1.5]])).toThrow(/outside/);
    expect(() => winRate([[]])).toThrow(/no comparisons/);
  });

  it('covers the true mean about 95% of the time (simulation, fixed seed)', () => {
    let state = 12345;
    const uniform = (): number => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 2 ** 32;
    };
    let covered = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const ci = meanCi95(Array.from({ length: 20 }, uniform)); // true mean 0.5
      if (ci.ci95[0] <= 0.5 && 0.5 <= ci.ci95[1]) covered++;
    }
    expect(covered / trials).toBeGreaterThan(0.93);
    expect(covered / trials).toBeLessThan(0.97);
  });
});

describe('style distribution', () => {
  it('reports fractions of all responses and the TV distance of well-formed ones to the uniform Nash', () => {
    const d = styleDistribution(['plain', 'plain', 'formal', 'warm', undefined]);
    expect(d.fractions).toEqual({ plain: 0.4, formal: 0.2, warm: 0.2, malformed: 0.2 });
    // well-formed: 1/2, 1/4, 1/4 -> TV = (1/6 + 1/12 + 1/12) / 2 = 1/6
    expect(d.tv_to_nash).toBeCloseTo(1 / 6, 15);
    expect(styleDistribution(['plain', 'formal', 'warm']).tv_to_nash).toBeCloseTo(0, 15);
    expect(styleDistribution(['plain']).tv_to_nash).toBeCloseTo(2 / 3, 15);
    expect(styleDistribution([undefined]).tv_to_nash).toBeNull();
    expect(mean([1, 2, 3])).toBe(2);
  });
});
