/**
 * Data order and batches. Every optimizer step's rows are a pure function of (seed, step), so a
 * resumed run needs only the step number to continue with exactly the rows an uninterrupted run
 * would have used.
 *
 * - Epoch e visits the examples in a permutation seeded by (seed, e) (like HF's RandomSampler,
 *   reshuffled each epoch; SPPO-REFERENCE 2.3 shuffles with seed 42).
 * - Optimizer step k of an epoch takes rows [k G, (k+1) G) of that permutation, G =
 *   per_device_train_batch_size x gradient_accumulation_steps; the epoch's last step also takes
 *   the rows that remain, so nothing is dropped and the step count matches core's trainingPlan.
 * - With gradient accumulation the step's rows are cut into micro-batches of
 *   per_device_train_batch_size (loop.ts), as HF does.
 */
import type { TensorData } from '@sppo/autodiff';
import type { TrainingPlan } from '@sppo/core';
import { collateSequences, type SequenceBatch, type SequenceInput } from '../tokenize.ts';
import { createRng, hashString } from '../rng.ts';
import type { PairTokens, ResponseTokens, SftTokens, TrainingData } from './examples.ts';

/** Fisher-Yates permutation of 0..n-1 seeded by (seed, epoch). */
export function epochPermutation(n: number, seed: number, epoch: number): number[] {
  const rng = createRng(hashString(`sppo-data-order:${seed}:${epoch}`));
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

export interface StepRows {
  /** 0-based global optimizer step. */
  step: number;
  /** 0-based epoch the step belongs to. */
  epoch: number;
  /** Example indices of the step. */
  indices: number[];
}

/** The rows of global optimizer step `step` (0-based). */
export function rowsForStep(step: number, { plan, numExamples, rowsPerStep, seed }: { plan: TrainingPlan; numExamples: number; rowsPerStep: number; seed: number }): StepRows {
  const epoch = Math.floor(step / plan.stepsPerEpoch);
  const k = step % plan.stepsPerEpoch;
  const order = epochPermutation(numExamples, seed, epoch);
  const start = k * rowsPerStep;
  const end = k === plan.stepsPerEpoch - 1 ? numExamples : Math.min(numExamples, start + rowsPerStep);
  return { step, epoch, indices: order.slice(start, end) };
}

export interface Bucket {
  /** Examples in the step (pairs for preference data). */
  rows: number;
  /** Padded tokens per sequence. */
  seqLen: number;
}

export interface StepBatch {
  bucket: Bucket;
  feeds: Record<string, TensorData>;
  /** Response tokens in the batch (for tokens/s). */
  responseTokens: number;
}

export interface CollateStepOptions {
  padId: number;
  /** Sequence lengths are rounded up to a multiple of this (fewer shape buckets, fewer sessions). */
  bucketMultiple: number;
  floatType: 'float32' | 'float64';
  /** Reference log-probs per example (pair: [chosen, rejected]; response: one), from pi_t. */
  referenceLogps?: Float64Array;
}

function int64(batch: SequenceBatch): Record<string, TensorData> {
  const dims = [batch.batchSize, batch.seqLen];
  return {
    input_ids: { dtype: 'int64', dims, data: batch.inputIds },
    attention_mask: { dtype: 'int64', dims, data: batch.attentionMask },
    response_mask: { dtype: 'int64', dims, data: batch.responseMask },
  };
}

function countResponseTokens(sequences: readonly SequenceInput[]): number {
  return sequences.reduce((n, s) => n + s.responseIds.length, 0);
}

/**
 * The feeds of one step for the train-step graphs of packages/model (graphs/README.md, "I/O
 * names"): preference rows are chosen rows then rejected rows (TRL's concatenated forward).
 */
export function collateStep(data: TrainingData, indices: readonly number[], { padId, bucketMultiple, floatType, referenceLogps }: CollateStepOptions): StepBatch {
  const floats = (values: number[]): TensorData => ({
    dtype: floatType,
    dims: [values.length],
    data: floatType === 'float64' ? Float64Array.from(values) : Float32Array.from(values),
  });
  const ref = (j: number): number => {
    const v = referenceLogps?.[j];
    if (v === undefined) throw new Error('collateStep: preference data needs the reference log-probs of every sequence (trainPolicy computes them)');
    return v;
  };
  const collate = (sequences: SequenceInput[]): SequenceBatch => collateSequences(sequences, { padId, multiple: bucketMultiple });
  if (data.kind === 'sft') {
    const seqs = indices.map((i) => data.examples[i] as SftTokens);
    const batch = collate(seqs);
    return { bucket: { rows: seqs.length, seqLen: batch.seqLen }, feeds: int64(batch), responseTokens: countResponseTokens(seqs) };
  }
  if (data.kind === 'pair') {
    const pairs = indices.map((i) => data.examples[i] as PairTokens);
    const seqs: SequenceInput[] = [
      ...pairs.map((p) => ({ promptIds: p.promptIds, responseIds: p.chosenIds })),
      ...pairs.map((p) => ({ promptIds: p.promptIds, responseIds: p.rejectedIds })),
    ];
    const batch = collate(seqs);
    return {
      bucket: { rows: pairs.length, seqLen: batch.seqLen },
      feeds: {
        ...int64(batch),
        reference_chosen_logps: floats(indices.map((i) => ref(2 * i))),
        reference_rejected_logps: floats(indices.map((i) => ref(2 * i + 1))),
        chosen_probs: floats(pairs.map((p) => p.chosenProbs)),
        chosen_probs_win: floats(pairs.map((p) => p.chosenProbsWin)),
        chosen_probs_lose: floats(pairs.map((p) => p.chosenProbsLose)),
      },
      responseTokens: countResponseTokens(seqs),
    };
  }
  const rows = indices.map((i) => data.examples[i] as ResponseTokens);
  const batch = collate(rows);
  return {
    bucket: { rows: rows.length, seqLen: batch.seqLen },
    feeds: { ...int64(batch), reference_logps: floats(indices.map((i) => ref(i))), win_rate: floats(rows.map((r) => r.winRate)) },
    responseTokens: countResponseTokens(rows),
  };
}

/** Every scored sequence of the data in a fixed order: pair i gives 2i (chosen) and 2i+1 (rejected). */
export function scoredSequences(data: TrainingData): SequenceInput[] {
  if (data.kind === 'pair') {
    return data.examples.flatMap((p) => [
      { promptIds: p.promptIds, responseIds: p.chosenIds },
      { promptIds: p.promptIds, responseIds: p.rejectedIds },
    ]);
  }
  return data.examples.map((e) => ({ promptIds: e.promptIds, responseIds: e.responseIds }));
}
