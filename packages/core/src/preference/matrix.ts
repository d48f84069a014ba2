/**
 * Preference maths of the judge stage, in float64.
 *
 * Notation (SPPO-REFERENCE 3.4): C is PairRM's K x K logit matrix over ORDERED pairs; C[i][j] is the
 * logit of "response i (as candidate1) beats response j (as candidate2)", the diagonal is unused.
 * P is the preference matrix, P[i][j] = P(y_i > y_j | x), with P[i][i] = 1/2.
 */
import { PreferenceInputError } from '../errors.ts';
import { sigmoid } from './sigmoid.ts';

export type ScoreAggregation = 'official' | 'direct';
export type WinRateEstimator = 'include_self' | 'exclude_self';

/** Checks that `m` is a K x K matrix of finite numbers with K >= 2; returns K. */
export function assertSquareMatrix(m: readonly (readonly number[])[], name: string): number {
  const k = Array.isArray(m) ? m.length : 0;
  if (k < 2) {
    throw new PreferenceInputError(`${name} must be a K x K matrix with K >= 2 responses (got K = ${k}); a win rate needs at least two samples per prompt (samples_per_prompt >= 2).`);
  }
  m.forEach((row, i) => {
    if (!Array.isArray(row) || row.length !== k) {
      throw new PreferenceInputError(`${name} must be square: row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries, expected ${k}.`);
    }
    row.forEach((value, j) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new PreferenceInputError(`${name}[${i}][${j}] is ${String(value)}: every entry must be a finite number (check the judge's logits for NaN/Infinity).`);
      }
    });
  });
  return k;
}

function assertProbabilityMatrix(p: readonly (readonly number[])[]): number {
  const k = assertSquareMatrix(p, 'P');
  p.forEach((row, i) =>
    row.forEach((value, j) => {
      if (value < 0 || value > 1) throw new PreferenceInputError(`P[${i}][${j}] = ${value} is outside [0, 1]: P must hold probabilities.`);
    }),
  );
  p.forEach((row, i) => {
    if (Math.abs((row[i] ?? Number.NaN) - 0.5) > 1e-12) {
      throw new PreferenceInputError(`P[${i}][${i}] = ${row[i]}: the diagonal must be 0.5 (a response ties with itself, compute_prob.py).`);
    }
  });
  return k;
}

/**
 * PairRM aggregate scores, llm_blender/gpt_eval/utils.py `get_scores_from_cmps` ("max_logits"):
 *
 *   s_i = (1/K) * sum_{j != i} (C_ij - C_ji)
 *
 * K (not K-1) in the denominator: the self term counts in the mean with value 0. Position bias (a
 * constant added to every C_ij) cancels in C_ij - C_ji. SPPO-REFERENCE 3.4.
 */
export function aggregateScores(c: readonly (readonly number[])[]): number[] {
  const k = assertSquareMatrix(c, 'C');
  const scores: number[] = [];
  for (let i = 0; i < k; i++) {
    let sum = 0;
    for (let j = 0; j < k; j++) if (j !== i) sum += (c[i]?.[j] ?? 0) - (c[j]?.[i] ?? 0);
    scores.push(sum / k);
  }
  return scores;
}

/** P_ij = sigma(s_i - s_j), P_ii = 1/2: scripts/compute_prob.py `from_ranks` on PairRM scores. */
export function preferenceMatrixFromScores(scores: readonly number[]): number[][] {
  if (scores.length < 2) throw new PreferenceInputError(`need scores for K >= 2 responses, got ${scores.length}.`);
  scores.forEach((s, i) => {
    if (!Number.isFinite(s)) throw new PreferenceInputError(`score ${i} is ${s}: scores must be finite.`);
  });
  return scores.map((si, i) => scores.map((sj, j) => (i === j ? 0.5 : sigmoid(si - sj))));
}

/**
 * Preference matrix from the logit matrix C.
 * - 'official' (compute_prob.py): P_ij = sigma(s_i - s_j) with s = aggregateScores(C). Note
 *   s_i - s_j = (2/K)(C_ij - C_ji) + terms of the other candidates (uclaml/SPPO issue #15).
 * - 'direct': P_ij = sigma(C_ij - C_ji), PairRM's own position-debiased pairwise probability
 *   (Blender.compare "[A,B]+[B,A]"), independent of the other candidates.
 * P_ii = 1/2 in both; P_ij + P_ji = 1.
 */
export function preferenceMatrix(c: readonly (readonly number[])[], aggregation: ScoreAggregation): number[][] {
  if (aggregation === 'official') return preferenceMatrixFromScores(aggregateScores(c));
  if (aggregation !== 'direct') {
    throw new PreferenceInputError(`unknown score aggregation ${JSON.stringify(aggregation)}: use 'official' or 'direct'.`);
  }
  const k = assertSquareMatrix(c, 'C');
  return Array.from({ length: k }, (_, i) =>
    Array.from({ length: k }, (_, j) => (i === j ? 0.5 : sigmoid((c[i]?.[j] ?? 0) - (c[j]?.[i] ?? 0)))),
  );
}

/**
 * Win-rate estimates P-hat(y_i > pi_t | x) from the K samples:
 * - 'include_self' (official, compute_prob.py `prepare_score`): (1/K) * sum_j P_ij, diagonal 1/2 included;
 * - 'exclude_self': (1/(K-1)) * sum_{j != i} P_ij, the unbiased mean over the other samples.
 */
export function winRates(p: readonly (readonly number[])[], estimator: WinRateEstimator): number[] {
  const k = assertProbabilityMatrix(p);
  if (estimator !== 'include_self' && estimator !== 'exclude_self') {
    throw new PreferenceInputError(`unknown win-rate estimator ${JSON.stringify(estimator)}: use 'include_self' or 'exclude_self'.`);
  }
  return p.map((row, i) => {
    let sum = 0;
    for (let j = 0; j < k; j++) if (estimator === 'include_self' || j !== i) sum += row[j] ?? 0;
    return sum / (estimator === 'include_self' ? k : k - 1);
  });
}

/** w = argmax, l = argmin with NumPy's first-index tie-breaking (all equal: w = l = 0). */
export function selectPair(scores: readonly number[]): { winner: number; loser: number } {
  if (scores.length === 0) throw new PreferenceInputError('selectPair needs at least one score.');
  let winner = 0;
  let loser = 0;
  scores.forEach((s, i) => {
    if (!Number.isFinite(s)) throw new PreferenceInputError(`score ${i} is ${s}: scores must be finite.`);
    if (s > (scores[winner] ?? s)) winner = i;
    if (s < (scores[loser] ?? s)) loser = i;
  });
  return { winner, loser };
}
