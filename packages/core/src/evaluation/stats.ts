/**
 * The evaluation's statistics (issue 21), pure functions of the judge's comparisons.
 *
 * Each comparison is sample k of pi_{t+1} against sample k of a baseline policy on one prompt, with
 * the judge's position-debiased probability p = sigmoid(C(a, b) - C(b, a)): the judge sees both
 * orders and the logit difference cancels a preference for the first (or second) slot, the
 * 'direct' aggregation of SPPO-REFERENCE 3.4 for a single pair.
 *
 * - Win rate: the mean over prompts of each prompt's mean p, with a 95% interval over prompts
 *   (normal approximation, mean +- 1.96 s / sqrt(n), s the sample standard deviation of the
 *   prompt means; clipped to [0, 1]).
 * - Length-controlled win rate, after AlpacaEval 2.0 (Dubois et al. 2024, "Length-Controlled
 *   AlpacaEval", arXiv 2404.04475; alpaca_eval/metrics/glm_winrate.py, feature
 *   `np.tanh(std_delta_len)`): fit the logistic model
 *       logit P(candidate wins) = a + b * tanh(delta / sd(delta)),   delta = len(candidate) - len(baseline) in tokens,
 *   by maximising the soft-label log-likelihood of the judge's p (each prompt weighted once,
 *   i.e. 1 / samples per prompt) with a 1/2 b^2 ridge on the length weight (sklearn's
 *   LogisticRegression C = 1 penalty, intercept free), and report the win rate at zero length
 *   difference, sigmoid(a). AlpacaEval also has per-instruction difficulty terms, which need many
 *   models judged on the same prompts; with one candidate and one baseline they reduce to the
 *   intercept. Its 95% interval: percentile bootstrap over prompts (seeded, so reruns agree).
 */
import { mulberry32 } from './random.ts';

export interface Comparison {
  prompt_id: string;
  /** P(candidate beats baseline), position-debiased. */
  p: number;
  candidate_tokens: number;
  baseline_tokens: number;
}

export interface WinRate {
  win_rate: number;
  ci95: [number, number];
  prompts: number;
}

export interface LengthControlledWinRate {
  lc_win_rate: number;
  ci95: [number, number];
  /** b: the judge's preference per unit of tanh(delta / sd); > 0 when it favours longer answers. */
  length_weight: number;
  /** sd(delta) in tokens, the scale of the length feature. */
  length_scale: number;
}

const Z95 = 1.959963984540054;
const clip01 = (x: number): number => Math.min(1, Math.max(0, x));
const sigmoid = (x: number): number => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));

function checkComparisons(comparisons: readonly Comparison[]): void {
  if (comparisons.length === 0) throw new RangeError('no comparisons: an evaluation needs at least one judged pair');
  for (const c of comparisons) {
    if (!(c.p >= 0 && c.p <= 1)) throw new RangeError(`comparison of prompt ${c.prompt_id} has p = ${c.p}; a win probability must be in [0, 1]`);
  }
}

/** Comparisons grouped by prompt, in first-seen order. */
function byPrompt(comparisons: readonly Comparison[]): Comparison[][] {
  const groups = new Map<string, Comparison[]>();
  for (const c of comparisons) {
    const group = groups.get(c.prompt_id);
    if (group === undefined) groups.set(c.prompt_id, [c]);
    else group.push(c);
  }
  return [...groups.values()];
}

/** Mean over prompts of the prompt means, with a 95% normal interval over prompts ([0, 1] for one prompt). */
export function winRate(comparisons: readonly Comparison[]): WinRate {
  checkComparisons(comparisons);
  const means = byPrompt(comparisons).map((group) => group.reduce((s, c) => s + c.p, 0) / group.length);
  const n = means.length;
  const mean = means.reduce((s, x) => s + x, 0) / n;
  if (n < 2) return { win_rate: mean, ci95: [0, 1], prompts: n };
  const variance = means.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1);
  const half = (Z95 * Math.sqrt(variance)) / Math.sqrt(n);
  return { win_rate: mean, ci95: [clip01(mean - half), clip01(mean + half)], prompts: n };
}

interface Point {
  x: number;
  p: number;
  w: number;
}

const RIDGE = 1;

/** Newton's method on the concave penalised log-likelihood of logit P = a + b x; returns [a, b]. */
function fitLogistic(points: readonly Point[]): [number, number] {
  const totalW = points.reduce((s, q) => s + q.w, 0);
  const meanP = Math.min(1 - 1e-9, Math.max(1e-9, points.reduce((s, q) => s + q.w * q.p, 0) / totalW));
  let a = Math.log(meanP / (1 - meanP));
  let b = 0;
  for (let iter = 0; iter < 100; iter++) {
    let ga = 0;
    let gb = -RIDGE * b;
    let haa = 0;
    let hab = 0;
    let hbb = RIDGE;
    for (const { x, p, w } of points) {
      const mu = sigmoid(a + b * x);
      const r = w * (p - mu);
      const v = w * mu * (1 - mu);
      ga += r;
      gb += r * x;
      haa += v;
      hab += v * x;
      hbb += v * x * x;
    }
    // Solve [haa hab; hab hbb] [da db] = [ga gb] (the negative Hessian is positive definite).
    const det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const da = (hbb * ga - hab * gb) / det;
    const db = (haa * gb - hab * ga) / det;
    a += da;
    b += db;
    if (Math.abs(da) + Math.abs(db) < 1e-12) break;
  }
  return [a, b];
}

function points(groups: readonly Comparison[][], scale: number): Point[] {
  return groups.flatMap((group) =>
    group.map((c) => ({ x: scale > 0 ? Math.tanh((c.candidate_tokens - c.baseline_tokens) / scale) : 0, p: c.p, w: 1 / group.length })),
  );
}

function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (at - lo);
}

/**
 * The length-controlled win rate (module comment). `bootstrap` resamples of the prompts give the
 * interval (default 200; seeded by `seed`, so the same comparisons always give the same numbers).
 */
export function lengthControlledWinRate(comparisons: readonly Comparison[], { bootstrap = 200, seed = 0 }: { bootstrap?: number; seed?: number } = {}): LengthControlledWinRate {
  checkComparisons(comparisons);
  const deltas = comparisons.map((c) => c.candidate_tokens - c.baseline_tokens);
  const meanDelta = deltas.reduce((s, d) => s + d, 0) / deltas.length;
  const scale = Math.sqrt(deltas.reduce((s, d) => s + (d - meanDelta) ** 2, 0) / deltas.length);
  const groups = byPrompt(comparisons);
  const [a, b] = fitLogistic(points(groups, scale));
  const lc = sigmoid(a);
  if (groups.length < 2 || bootstrap < 1) return { lc_win_rate: lc, ci95: [0, 1], length_weight: b, length_scale: scale };
  const random = mulberry32(seed);
  const estimates: number[] = [];
  for (let r = 0; r < bootstrap; r++) {
    const sample = Array.from({ length: groups.length }, () => groups[Math.floor(random() * groups.length)] as Comparison[]);
    estimates.push(sigmoid(fitLogistic(points(sample, scale))[0]));
  }
  estimates.sort((x, y) => x - y);
  return { lc_win_rate: lc, ci95: [quantile(estimates, 0.025), quantile(estimates, 0.975)], length_weight: b, length_scale: scale };
}

/** Mean response length in tokens. */
export function meanTokens(tokens: readonly number[]): number {
  return tokens.length === 0 ? 0 : tokens.reduce((s, t) => s + t, 0) / tokens.length;
}

/**
 * The position-debiased P(a beats b) from the judge's logits in both orders: C(a, b) with a shown
 * first and C(b, a) with b shown first (PairRM's logits; SPPO-REFERENCE 3.4 'direct').
 */
export function debiasedWinProbability(logitAFirst: number, logitBFirst: number): number {
  return sigmoid(logitAFirst - logitBFirst);
}
