/**
 * Evaluation maths of the report: win rates with 95% confidence intervals, style distributions
 * against the Nash equilibrium, and mean lengths.
 *
 * Win rate of policy A against policy B on held-out prompts (the paper's Table 1 reports the same
 * quantity against GPT-4-Turbo, SPPO-REFERENCE 2.8): the mean over prompts x of
 * E[P(y_A > y_B | x)], each prompt's term averaged over its sample pairs. The prompt is the
 * independent unit (samples of one prompt are correlated), so the interval is the Student-t
 * interval of the mean of the per-prompt win rates (a cluster-level interval), clamped to [0, 1].
 */
import { totalVariation } from './nash.ts';
import { STYLES, type Style } from './task.ts';

export interface MeanCi {
  mean: number;
  /** [low, high] of the 95% interval. */
  ci95: [number, number];
  n: number;
  /** Standard error of the mean. */
  se: number;
}

/** The standard normal quantile for p in (0, 1) (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
}

/**
 * Student-t quantile by the Cornish-Fisher expansion around the normal one (Abramowitz & Stegun
 * 26.7.5): within 1e-3 of the exact value for df >= 3 at the 97.5% point (4.18 vs 4.177 at df 3).
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`studentTQuantile: df must be > 0, got ${df}`);
  const z = normalQuantile(p);
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  const z9 = z ** 9;
  return (
    z +
    (z3 + z) / (4 * df) +
    (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) +
    (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3) +
    (79 * z9 + 776 * z7 + 1482 * z5 - 1920 * z3 - 945 * z) / (92160 * df ** 4)
  );
}

/** Mean with its 95% Student-t interval; `bounds` clamps the interval (probabilities: [0, 1]). */
export function meanCi95(values: readonly number[], { bounds = [-Infinity, Infinity] as [number, number] } = {}): MeanCi {
  const n = values.length;
  if (n === 0) throw new RangeError('meanCi95: no values; evaluate at least one prompt');
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n === 1) return { mean, ci95: [bounds[0] === -Infinity ? mean : bounds[0], bounds[1] === Infinity ? mean : bounds[1]], n, se: Number.NaN };
  const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1);
  const se = Math.sqrt(variance / n);
  const half = studentTQuantile(0.975, n - 1) * se;
  return { mean, ci95: [Math.max(bounds[0], mean - half), Math.min(bounds[1], mean + half)], n, se };
}

/**
 * Win rate over prompts: `perPrompt[x]` holds P(y_A > y_B | x) for each sample pair of prompt x;
 * each prompt contributes its mean, and the interval is over prompts.
 */
export function winRate(perPrompt: readonly (readonly number[])[]): MeanCi {
  const means = perPrompt.map((ps, i) => {
    if (ps.length === 0) throw new RangeError(`winRate: prompt ${i} has no comparisons`);
    for (const p of ps) if (!(p >= 0 && p <= 1)) throw new RangeError(`winRate: prompt ${i} has probability ${p}, outside [0, 1]`);
    return ps.reduce((s, p) => s + p, 0) / ps.length;
  });
  return meanCi95(means, { bounds: [0, 1] });
}

export interface StyleDistribution {
  /** Fraction of ALL responses in each style, plus `malformed` (no style recognised). */
  fractions: Record<Style | 'malformed', number>;
  /** Total variation distance between the style mix of well-formed responses and the uniform Nash
   *  mix (0 at the equilibrium, at most 2/3); null when no response is well-formed. */
  tv_to_nash: number | null;
}

export function styleDistribution(styles: readonly (Style | undefined)[]): StyleDistribution {
  const counts: Record<Style | 'malformed', number> = { plain: 0, formal: 0, warm: 0, malformed: 0 };
  for (const s of styles) counts[s ?? 'malformed']++;
  const n = styles.length;
  const fractions = { plain: 0, formal: 0, warm: 0, malformed: 0 };
  for (const key of Object.keys(counts) as (Style | 'malformed')[]) fractions[key] = n === 0 ? 0 : counts[key] / n;
  const uniform = { plain: 1 / STYLES.length, formal: 1 / STYLES.length, warm: 1 / STYLES.length };
  return { fractions, tv_to_nash: tvToStyleMix(fractions, uniform) };
}

/**
 * Total variation distance between the style mix of the well-formed responses (`fractions`
 * renormalised without `malformed`) and a mix over the styles; null when no response is well-formed.
 */
export function tvToStyleMix(fractions: Readonly<Record<Style | 'malformed', number>>, mix: Readonly<Record<Style, number>>): number | null {
  const formed = STYLES.reduce((sum, s) => sum + fractions[s], 0);
  if (!(formed > 0)) return null;
  return totalVariation(
    STYLES.map((s) => fractions[s] / formed),
    STYLES.map((s) => mix[s]),
  );
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((s, v) => s + v, 0) / values.length;
}
