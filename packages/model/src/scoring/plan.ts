/**
 * How a scoring pass cuts rows into fixed-shape batches. Scoring graphs have static [B, T] shapes
 * (graphs/README "Shape buckets"), so every batch is padded to a bucket and each bucket costs one
 * session. Sorting rows by length keeps padding small (as TRL's group_by_length does) and means a
 * run touches few buckets.
 */
import { bucketLength, type BucketOptions } from '../tokenize.ts';

export interface ScoreBatchPlan {
  /** Indices of the rows of this batch, into the caller's array. */
  rows: number[];
  /** Padded sequence length (the bucket) of the batch. */
  seqLen: number;
}

export interface PlanScoreBatchesOptions {
  /** Rows per batch; the last batch is topped up with filler rows to keep one shape. */
  batchSize?: number;
  /** Defaults to powers of two from 16: few distinct buckets, so few sessions. */
  bucket?: BucketOptions;
}

export const DEFAULT_SCORE_BUCKET: BucketOptions = { multiple: 16, powerOfTwo: true };

/**
 * Batches of row indices, longest rows first (an out-of-memory bucket fails at the first batch,
 * not the last), ties broken by index so the plan is deterministic.
 */
export function planScoreBatches(
  lengths: readonly number[],
  { batchSize = 8, bucket = DEFAULT_SCORE_BUCKET }: PlanScoreBatchesOptions = {},
): ScoreBatchPlan[] {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`planScoreBatches: batchSize must be a positive integer, got ${batchSize}`);
  }
  const order = lengths.map((_, i) => i).sort((a, b) => (lengths[b] as number) - (lengths[a] as number) || a - b);
  const plans: ScoreBatchPlan[] = [];
  for (let start = 0; start < order.length; start += batchSize) {
    const rows = order.slice(start, start + batchSize);
    const longest = Math.max(...rows.map((i) => lengths[i] as number));
    // A logprob graph needs T >= 2 (position 0 is never scored).
    plans.push({ rows, seqLen: Math.max(2, bucketLength(longest, bucket)) });
  }
  return plans;
}
