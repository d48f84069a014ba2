/**
 * Turning one row of logits into a token: greedy argmax, or temperature -> top-k -> top-p
 * (HF transformers' TemperatureLogitsWarper, TopKLogitsWarper and TopPLogitsWarper, in the order
 * `_get_logits_processor` applies them; vLLM's `apply_top_k_top_p` does the same: top-p acts on
 * the renormalised top-k distribution), then one inverse-CDF draw over the kept tokens in id
 * order. The draw is a pure function of (logits, params, uniform). Ties at the top-k / top-p
 * boundary keep the smaller ids.
 */
import type { SampleRng } from './rng.ts';

export interface FilterParams {
  temperature: number;
  topK: number;
  topP: number;
}

/** Index of the largest value; the first one on ties (torch.argmax / numpy). */
export function argmax(row: ArrayLike<number>): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < row.length; i++) {
    const v = row[i] as number;
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

export interface FilteredWeights {
  /** Unnormalised probability of every token after the filters (0 = filtered out). */
  weights: Float64Array;
  /** Their sum. */
  mass: number;
}

/** Reused between calls on one thread: sampling allocates nothing per token. */
let scratch = new Float64Array(0);
let sorted = new Float64Array(0);

/** Weight buckets of the top-p-only cut (topPCutoff): weights lie in (0, 1], bucket = floor(w B). */
const BUCKETS = 4096;
const bucketMass = new Float64Array(BUCKETS);

/**
 * The top-p cut without top-k, found without sorting the kept tokens: one pass sums the weights
 * per bucket of width 1/BUCKETS, the walk down the buckets finds the one where the mass crosses
 * top_p, and only that bucket's tokens are sorted. On a flat distribution (a model with random
 * weights, or a hot temperature, over a 49k vocabulary) top-p keeps most of the vocabulary, and
 * sorting it was ~6 ms per row per step. Every token in a higher bucket is heavier than any in
 * the crossing one, so the cut is the one the full sort would find; the mass is summed in another
 * order, so where the running sum lands within rounding of the target this returns undefined and
 * the caller takes the exact path.
 */
function topPCutoff(w: Float64Array, n: number, total: number, topP: number): { cutoff: number; atCutoff: number } | undefined {
  bucketMass.fill(0);
  for (let i = 0; i < n; i++) {
    const v = w[i] as number;
    const j = Math.min(BUCKETS - 1, Math.floor(v * BUCKETS));
    bucketMass[j] = (bucketMass[j] as number) + v;
  }
  const target = topP * total;
  const eps = 1e-9 * total;
  let above = 0;
  let b = BUCKETS - 1;
  for (; b >= 0; b--) {
    if (above + (bucketMass[b] as number) >= target) break;
    above += bucketMass[b] as number;
  }
  if (b < 0 || above >= target - eps) return undefined;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i] as number;
    if (Math.min(BUCKETS - 1, Math.floor(v * BUCKETS)) === b) sorted[m++] = v;
  }
  const members = sorted.subarray(0, m);
  members.sort(); // ascending
  let cum = above;
  let taken = 0;
  while (taken < m && cum < target) cum += members[m - 1 - taken++] as number;
  if (cum < target + eps || cum - (members[m - taken] as number) > target - eps) return undefined;
  const cutoff = members[m - taken] as number;
  let atCutoff = 0;
  for (let j = m - taken; j < m && members[j] === cutoff; j++) atCutoff++;
  return { cutoff, atCutoff };
}

/**
 * softmax(logits / temperature) restricted to the top-k tokens, then to the smallest set of most
 * likely tokens whose mass reaches top_p of the (top-k) mass, the token that crosses it included
 * (at least one token always stays). Requires temperature > 0. The returned `weights` array is
 * reused by the next call.
 */
export function filteredWeights(row: ArrayLike<number>, { temperature, topK, topP }: FilterParams): FilteredWeights {
  const n = row.length;
  if (scratch.length !== n) {
    scratch = new Float64Array(n);
    sorted = new Float64Array(n);
  }
  const w = scratch;
  let max = -Infinity;
  for (let i = 0; i < n; i++) if ((row[i] as number) > max) max = row[i] as number;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.exp(((row[i] as number) - max) / temperature);
    w[i] = v;
    total += v;
  }
  const k = topK > 0 && topK < n ? topK : n;
  if (k === n && topP >= 1) return { weights: w, mass: total };
  const quick = k === n ? topPCutoff(w, n, total, topP) : undefined;
  if (quick) return keepAbove(w, n, quick.cutoff, quick.atCutoff);

  // The cut-off weight and how many tokens AT it survive, found on a natively sorted copy of the
  // candidates (no comparator, no per-token objects). Candidates are the tokens heavier than a
  // threshold, lowered 16x per pass until they include the top k, or (no top-k) hold top_p of the
  // mass: every other token is lighter than all of them, so the cut falls among them and only
  // they are sorted (a few dozen of a 32k vocabulary, instead of all of it on every step).
  let m = 0;
  let candidateMass = 0;
  for (let threshold = 1 / 16; ; threshold = threshold > 1e-300 ? threshold / 16 : -1) {
    m = 0;
    candidateMass = 0;
    for (let i = 0; i < n; i++) {
      const v = w[i] as number;
      if (v > threshold) {
        sorted[m++] = v;
        candidateMass += v;
      }
    }
    if (m >= k || (k === n && candidateMass >= topP * total) || m === n) break;
  }
  const candidates = sorted.subarray(0, m);
  candidates.sort(); // ascending
  // Top-k keeps the k largest; top-p then walks them from the largest until their mass reaches
  // top_p of the top-k mass (all of it without top-k).
  let topKMass = 0;
  if (k === n) topKMass = total;
  else for (let j = m - 1; j >= m - k; j--) topKMass += candidates[j] as number;
  const kept = Math.min(k, m);
  let taken = kept;
  if (topP < 1) {
    let cum = 0;
    taken = 0;
    while (taken < kept && (taken === 0 || cum < topP * topKMass)) cum += candidates[m - 1 - taken++] as number;
  }
  const cutoff = candidates[m - taken] as number;
  let atCutoff = 0; // how many of the taken tokens have exactly the cut-off weight
  for (let j = m - taken; j < m && candidates[j] === cutoff; j++) atCutoff++;
  return keepAbove(w, n, cutoff, atCutoff);
}

/** Zeroes every weight below the cut-off, and past the first `atCutoff` (by id) at it; returns the kept mass. */
function keepAbove(w: Float64Array, n: number, cutoff: number, atCutoff: number): FilteredWeights {
  let mass = 0;
  for (let i = 0; i < n; i++) {
    const v = w[i] as number;
    if (v > cutoff) mass += v;
    else if (v === cutoff && atCutoff > 0) {
      atCutoff--;
      mass += v;
    } else w[i] = 0;
  }
  return { weights: w, mass };
}

export interface Candidates {
  /** Token ids, most likely first (ties: smaller id first). */
  ids: Int32Array;
  /** Their probabilities after every filter, renormalised to sum to 1. */
  probs: Float64Array;
}

/** The filtered distribution as sorted candidates (for inspection and tests; sampling skips the sort). */
export function samplingDistribution(row: ArrayLike<number>, params: FilterParams): Candidates {
  const { weights, mass } = filteredWeights(row, params);
  const kept: number[] = [];
  for (let i = 0; i < weights.length; i++) if ((weights[i] as number) > 0) kept.push(i);
  kept.sort((a, b) => (weights[b] as number) - (weights[a] as number) || a - b);
  return { ids: Int32Array.from(kept), probs: Float64Array.from(kept, (i) => (weights[i] as number) / mass) };
}

/** Inverse CDF over unnormalised weights in id order; `u` in [0, 1). */
export function drawFromWeights({ weights, mass }: FilteredWeights, u: number): number {
  const target = u * mass;
  let cum = 0;
  let last = 0;
  for (let i = 0; i < weights.length; i++) {
    const v = weights[i] as number;
    if (v === 0) continue;
    cum += v;
    last = i;
    if (target < cum) return i;
  }
  return last; // rounding left target >= cum: the last kept token
}

/** Inverse CDF over sorted candidates; `u` in [0, 1). */
export function drawFrom({ ids, probs }: Candidates, u: number): number {
  let cum = 0;
  for (let j = 0; j < ids.length; j++) {
    cum += probs[j] as number;
    if (u < cum) return ids[j] as number;
  }
  return ids[ids.length - 1] as number;
}

/** One token for one row: argmax when temperature is 0, else one draw from the row's stream. */
export function sampleToken(row: ArrayLike<number>, params: FilterParams, rng: SampleRng): number {
  if (params.temperature === 0) return argmax(row);
  return drawFromWeights(filteredWeights(row, params), rng.next());
}
