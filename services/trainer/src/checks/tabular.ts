/**
 * SPPO on a tabular policy: one prompt, N fixed responses, pi_theta = softmax(theta) with the
 * logits theta as the only parameters (built with @sppo/autodiff). Here the exact SPPO update
 * (SPPO-REFERENCE 1.2, multiplicative weights / Hedge)
 *
 *   pi_{t+1}(y) ∝ pi_t(y) exp(eta P(y > pi_t)),   P(y > pi) = sum_j pi(j) P[y][j]
 *
 * is known in closed form, so we can check that fitting eq. (4.7) (the squared loss with log Z
 * replaced by eta/2, per-response 'all' form) on sampled triplets (y ~ pi_t, P-hat(y > pi_t))
 * recovers it, and watch the iterates on an intransitive (rock-paper-scissors) preference.
 */
import { buildTrainStep, createTrainStepper, type TensorData } from '@sppo/autodiff';
import { createRng, type Rng } from '@sppo/model';

/** P[i][j] = P(y_i > y_j), with P[i][j] + P[j][i] = 1 and P[i][i] = 1/2. */
export type PreferenceMatrix = readonly (readonly number[])[];

/** P(y > pi) for every response y (the win rate against the policy, SPPO-REFERENCE 1.1). */
export function winRatesAgainst(P: PreferenceMatrix, pi: readonly number[]): number[] {
  return P.map((row) => row.reduce((s, p, j) => s + p * (pi[j] as number), 0));
}

/** The exact update pi_{t+1} ∝ pi_t exp(eta P(y > pi_t)) (SPPO-REFERENCE 1.2). */
export function exactSppoUpdate(pi: readonly number[], P: PreferenceMatrix, eta: number): number[] {
  const w = winRatesAgainst(P, pi);
  const un = pi.map((p, i) => p * Math.exp(eta * (w[i] as number)));
  const z = un.reduce((a, b) => a + b, 0);
  return un.map((u) => u / z);
}

/**
 * Duality gap of pi in the symmetric constant-sum game with payoff P(pi > pi'):
 * max_pi' P(pi' > pi) - min_pi' P(pi > pi') = 2 max_y P(y > pi) - 1 (zero exactly at a Nash
 * equilibrium, the von Neumann winner).
 */
export function dualityGap(pi: readonly number[], P: PreferenceMatrix): number {
  return 2 * Math.max(...winRatesAgainst(P, pi)) - 1;
}

export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);
}

function sample(pi: readonly number[], rng: Rng): number {
  let u = rng.uniform();
  for (let i = 0; i < pi.length; i++) {
    u -= pi[i] as number;
    if (u < 0) return i;
  }
  return pi.length - 1;
}

function softmax(theta: ArrayLike<number>): number[] {
  const xs = Array.from(theta);
  const m = Math.max(...xs);
  const e = xs.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / z);
}

/** One weighted training set of eq. (4.7): responses y, their weights and win-rate estimates. */
export interface TabularData {
  y: number[];
  weight: number[];
  winRate: number[];
}

/**
 * M sampled triplets (y ~ pi_t, P-hat(y > pi_t)), each weighted 1/M. P-hat is the mean of
 * P(y > y'_k) over `opponents` fresh samples y'_k ~ pi_t (unbiased, like the judge's K-sample
 * estimate minus the self term).
 */
export function sampleTriplets(pi: readonly number[], P: PreferenceMatrix, { samples, opponents, rng }: { samples: number; opponents: number; rng: Rng }): TabularData {
  const data: TabularData = { y: [], weight: [], winRate: [] };
  for (let m = 0; m < samples; m++) {
    const y = sample(pi, rng);
    let w = 0;
    for (let k = 0; k < opponents; k++) w += (P[y] as number[])[sample(pi, rng)] as number;
    data.y.push(y);
    data.weight.push(1 / samples);
    data.winRate.push(w / opponents);
  }
  return data;
}

/** The population version: every response once, weighted by pi_t(y), with the exact P(y > pi_t). */
export function populationTriplets(pi: readonly number[], P: PreferenceMatrix): TabularData {
  return { y: pi.map((_, i) => i), weight: [...pi], winRate: winRatesAgainst(P, pi) };
}

export interface FitOptions {
  /** Logits of pi_t (the starting point and, frozen, the reference). */
  theta: readonly number[];
  data: TabularData;
  eta: number;
  steps?: number;
  lr?: number;
}

export interface FitResult {
  theta: number[];
  pi: number[];
  /** Weighted eq. (4.7) loss before the first and after the last step. */
  initialLoss: number;
  finalLoss: number;
}

/**
 * Minimises sum_m w_m (log pi_theta(y_m) - log pi_t(y_m) - eta (P-hat_m - 1/2))^2 over theta,
 * full batch, float64, AdamW (no weight decay) with a linearly decaying learning rate, in an ONNX
 * train step built by autodiff (parameters: the N logits only).
 */
export async function fitSquaredLoss({ theta, data, eta, steps = 400, lr = 0.05 }: FitOptions): Promise<FitResult> {
  const N = theta.length;
  const M = data.y.length;
  const logPiT = softmax(theta).map(Math.log);
  const step = buildTrainStep(
    (g) => {
      const logits = g.param('logits', [N]);
      const y = g.input('y', [M], 'int64');
      const ref = g.input('ref_logp', [M]);
      const weight = g.input('weight', [M]);
      const winRate = g.input('win_rate', [M]);
      const logp = g.gather(g.logSoftmax(logits, 0), y, 0);
      // eq. (4.7): the log-ratio regressed on eta (P-hat - 1/2).
      const err = g.sub(g.sub(logp, ref), g.mul(g.sub(winRate, 0.5), eta));
      return { loss: g.reduceSum(g.mul(weight, g.mul(err, err)), [0]) };
    },
    { name: 'tabular_sppo', floatType: 'float64', optimizer: { type: 'adamw', weightDecay: 0 } },
  );
  const stepper = await createTrainStepper({ buildStep: () => step, params: { logits: Float64Array.from(theta) }, thread: 'main' });
  const f64 = (values: number[]): TensorData => ({ dtype: 'float64', dims: [M], data: Float64Array.from(values) });
  const batch: Record<string, TensorData> = {
    y: { dtype: 'int64', dims: [M], data: BigInt64Array.from(data.y.map((v) => BigInt(v))) },
    ref_logp: f64(data.y.map((v) => logPiT[v] as number)),
    weight: f64(data.weight),
    win_rate: f64(data.winRate),
  };
  try {
    let initialLoss = Number.NaN;
    let finalLoss = Number.NaN;
    for (let s = 0; s < steps; s++) {
      const out = await stepper.step('all', batch, { lr: lr * (1 - s / steps) });
      if (s === 0) initialLoss = out.loss as number;
    }
    const params = await stepper.getParams();
    const fitted = Array.from(params.logits as Float64Array);
    // The loss at the final parameters (a zero-lr step reports the loss before updating).
    finalLoss = (await stepper.step('all', batch, { lr: 0 })).loss as number;
    return { theta: fitted, pi: softmax(fitted), initialLoss, finalLoss };
  } finally {
    await stepper.close();
  }
}

export interface IterationRecord {
  t: number;
  /** Duality gaps of the last iterate and of the average of iterates 0..t. */
  gapLast: number;
  gapAverage: number;
  pi: number[];
}

export interface SelfPlayOptions {
  P: PreferenceMatrix;
  pi0: readonly number[];
  eta: number;
  iterations: number;
  /** 'exact': closed-form update; 'fitted': eq. (4.7) fitted on sampled triplets each round. */
  mode: 'exact' | 'fitted';
  samples?: number;
  opponents?: number;
  seed?: number;
  steps?: number;
}

/** Runs T rounds of SPPO self-play and records both duality gaps after each round (Theorem 4.1 is about the average). */
export async function selfPlay({ P, pi0, eta, iterations, mode, samples = 4000, opponents = 5, seed = 1, steps = 300 }: SelfPlayOptions): Promise<IterationRecord[]> {
  const rng = createRng(seed);
  let pi = [...pi0];
  const sum = [...pi0];
  const records: IterationRecord[] = [{ t: 0, gapLast: dualityGap(pi, P), gapAverage: dualityGap(pi, P), pi }];
  for (let t = 1; t <= iterations; t++) {
    if (mode === 'exact') pi = exactSppoUpdate(pi, P, eta);
    else {
      const theta = pi.map(Math.log);
      pi = (await fitSquaredLoss({ theta, data: sampleTriplets(pi, P, { samples, opponents, rng }), eta, steps })).pi;
    }
    pi.forEach((p, i) => (sum[i] = (sum[i] as number) + p));
    const average = sum.map((s) => s / (t + 1));
    records.push({ t, gapLast: dualityGap(pi, P), gapAverage: dualityGap(average, P), pi });
  }
  return records;
}
