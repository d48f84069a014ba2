import { describe, expect, it } from 'vitest';
import { mulberry32 } from './random.ts';
import { debiasedWinProbability, lengthControlledWinRate, winRate, type Comparison } from './stats.ts';

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
const logit = (p: number): number => Math.log(p / (1 - p));

/** Standard normal draws from a seeded uniform (Box-Muller). */
function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/**
 * Synthetic judgments with a KNOWN length bias: the candidate is longer on average (delta ~
 * N(+meanDelta, 60) tokens), its true win rate at equal length is `quality`, and the judge adds
 * `bias` * tanh(delta / sd(delta)) to the logit. Each verdict is a coin flip with that probability
 * (a hard 0/1 judgment, as a real judge's noise would give), one per prompt.
 */
function judgments({ n, quality, bias, meanDelta, seed }: { n: number; quality: number; bias: number; meanDelta: number; seed: number }): Comparison[] {
  const random = mulberry32(seed);
  const deltas = Array.from({ length: n }, () => Math.round(meanDelta + 60 * normal(random)));
  const mean = deltas.reduce((s, d) => s + d, 0) / n;
  const sd = Math.sqrt(deltas.reduce((s, d) => s + (d - mean) ** 2, 0) / n);
  return deltas.map((delta, i) => {
    const p = sigmoid(logit(quality) + bias * Math.tanh(delta / sd));
    return { prompt_id: `p${i}`, p: random() < p ? 1 : 0, candidate_tokens: 200 + delta, baseline_tokens: 200 };
  });
}

describe('winRate', () => {
  it('is the mean over prompts of the prompt means, with a 95% normal interval over prompts', () => {
    const rows: Comparison[] = [
      { prompt_id: 'a', p: 1, candidate_tokens: 1, baseline_tokens: 1 },
      { prompt_id: 'a', p: 0, candidate_tokens: 1, baseline_tokens: 1 }, // prompt a: 0.5
      { prompt_id: 'b', p: 0.9, candidate_tokens: 1, baseline_tokens: 1 },
      { prompt_id: 'c', p: 0.7, candidate_tokens: 1, baseline_tokens: 1 },
    ];
    const { win_rate, ci95, prompts } = winRate(rows);
    expect(prompts).toBe(3);
    expect(win_rate).toBeCloseTo(0.7, 12);
    // prompt means 0.5, 0.9, 0.7: s = 0.2, half width 1.96 * 0.2 / sqrt(3)
    const half = (1.959963984540054 * 0.2) / Math.sqrt(3);
    expect(ci95[0]).toBeCloseTo(0.7 - half, 12);
    expect(ci95[1]).toBeCloseTo(0.7 + half, 12);
  });

  it('refuses probabilities outside [0, 1] and an empty evaluation', () => {
    expect(() => winRate([])).toThrow(/no comparisons/);
    expect(() => winRate([{ prompt_id: 'x', p: 1.5, candidate_tokens: 0, baseline_tokens: 0 }])).toThrow(/prompt x has p = 1.5/);
  });

  it('the debiased probability cancels a judge that always prefers the first slot', () => {
    // C(a, b) = q + 2 and C(b, a) = -q + 2: a +2 logit for whoever is shown first.
    expect(debiasedWinProbability(0.4 + 2, -0.4 + 2)).toBeCloseTo(sigmoid(0.8), 12);
    expect(debiasedWinProbability(2, 2)).toBe(0.5);
  });
});

describe('lengthControlledWinRate (AlpacaEval 2.0 style)', () => {
  it('removes a known length bias that the raw win rate shows', () => {
    // Equal quality (0.5 at equal length), a judge with a strong taste for length, a longer candidate.
    const data = judgments({ n: 2000, quality: 0.5, bias: 2, meanDelta: 60, seed: 1 });
    const raw = winRate(data);
    const lc = lengthControlledWinRate(data);
    // Measured: raw 0.724 [0.704, 0.743], LC 0.514 [0.475, 0.545], length weight 1.90.
    expect(raw.win_rate).toBeGreaterThan(0.7); // the bias: a clearly "better" policy
    expect(raw.ci95[0]).toBeGreaterThan(0.5);
    expect(Math.abs(lc.lc_win_rate - 0.5)).toBeLessThan(0.05); // the truth at equal length
    expect(lc.ci95[0]).toBeLessThan(0.5);
    expect(lc.ci95[1]).toBeGreaterThan(0.5);
    expect(lc.length_weight).toBeGreaterThan(1.5); // the judge's taste is found, near the true 2
    expect(lc.length_weight).toBeLessThan(2.5);
  });

  it('keeps a real quality difference: 0.7 at equal length, with and without a length bias', () => {
    const biased = judgments({ n: 2000, quality: 0.7, bias: 2, meanDelta: 60, seed: 2 });
    const fair = judgments({ n: 2000, quality: 0.7, bias: 0, meanDelta: 60, seed: 3 });
    // Measured: biased raw 0.855, LC 0.726 (weight 1.97); fair raw 0.692, LC 0.690 (weight 0.02).
    expect(winRate(biased).win_rate).toBeGreaterThan(0.82);
    expect(Math.abs(lengthControlledWinRate(biased).lc_win_rate - 0.7)).toBeLessThan(0.05);
    expect(Math.abs(winRate(fair).win_rate - 0.7)).toBeLessThan(0.03);
    expect(Math.abs(lengthControlledWinRate(fair).lc_win_rate - 0.7)).toBeLessThan(0.05);
    expect(Math.abs(lengthControlledWinRate(fair).length_weight)).toBeLessThan(0.5);
  });

  it('equals the raw win rate when every pair has the same length, and is reproducible', () => {
    const same: Comparison[] = [0.9, 0.6, 0.2, 0.75].map((p, i) => ({ prompt_id: `p${i}`, p, candidate_tokens: 30, baseline_tokens: 30 }));
    const lc = lengthControlledWinRate(same);
    expect(lc.length_scale).toBe(0);
    expect(lc.lc_win_rate).toBeCloseTo(winRate(same).win_rate, 9);
    expect(lengthControlledWinRate(same)).toEqual(lc);
  });
});
