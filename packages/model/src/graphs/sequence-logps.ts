/**
 * Summed log-probabilities of the response tokens given everything before them, for padded
 * batches (TRL `get_batch_logps` with average_log_prob=False): position t is scored by the logits
 * of position t - 1, so position 0 is never scored.
 */
import { createGraph, type FloatType, type GraphBuilder, type Tensor } from '@sppo/autodiff';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { declareParams, llamaDecoder, positionIdsFromMaskGraph, type ParamTensors } from './decoder.ts';

/** The batch a scoring graph reads: every tensor int64 [B, T]. */
export interface TokenBatch {
  inputIds: Tensor;
  /** 1 = real token, 0 = padding (left or right). */
  attentionMask: Tensor;
  /** 1 where the token is a response token to score (TRL: labels != -100). */
  responseMask: Tensor;
}

export interface SequenceLogps {
  /** [B] sum over response tokens of log p(x_t | x_<t). */
  logps: Tensor;
  /** [B] number of response tokens scored (float). */
  counts: Tensor;
  /** [B, T-1] per-token log-probabilities of x_1..x_{T-1} (unmasked). */
  tokenLogps: Tensor;
  /** [B, T-1] response mask of the scored positions, as floats. */
  scoredMask: Tensor;
  /** [B, T-1, V] the logits that score positions 1..T-1 (the log-softmax is never materialised). */
  logits: Tensor;
  /** int64 [B, T-1] the tokens they score, x_1..x_{T-1}. */
  targets: Tensor;
}

/** Declares the int64 [B, T] inputs `input_ids`, `attention_mask`, `response_mask`. */
export function declareTokenBatch(g: GraphBuilder, batchSize: number, sequenceLength: number): TokenBatch {
  return {
    inputIds: g.input('input_ids', [batchSize, sequenceLength], 'int64'),
    attentionMask: g.input('attention_mask', [batchSize, sequenceLength], 'int64'),
    responseMask: g.input('response_mask', [batchSize, sequenceLength], 'int64'),
  };
}

/** Forward of the whole model and the response log-probs of each row. */
export function sequenceLogps(g: GraphBuilder, config: LlamaGraphConfig, params: ParamTensors, batch: TokenBatch): SequenceLogps {
  const T = batch.inputIds.shape[1];
  if (typeof T !== 'number' || T < 2) {
    throw new Error(`sequenceLogps: the sequence length must be a fixed number >= 2 (a shape bucket), got ${String(T)}`);
  }
  // Positions 0..T-2 score tokens 1..T-1. log p(x_t) is picked without a [B, T-1, V] log-softmax
  // (selectedLogProbs: logits[x_t] - logsumexp, with a closed-form gradient).
  const { logits } = llamaDecoder(g, config, params, {
    inputIds: batch.inputIds,
    attentionMask: batch.attentionMask,
    positionIds: positionIdsFromMaskGraph(g, batch.attentionMask),
    dropLastLogits: true,
  }); // [B, T-1, V]
  const targets = g.slice(batch.inputIds, [1], [T], [1]); // [B, T-1]
  const tokenLogps = g.selectedLogProbs(logits, targets);
  const scoredMask = g.cast(g.slice(batch.responseMask, [1], [T], [1]), g.floatType);
  return {
    logps: g.reduceSum(g.mul(tokenLogps, scoredMask), [1]),
    counts: g.reduceSum(scoredMask, [1]),
    tokenLogps,
    scoredMask,
    logits,
    targets,
  };
}

export interface LogprobGraphOptions {
  config: LlamaGraphConfig;
  /** Rows per run (a shape bucket: pad the batch up to it). */
  batchSize: number;
  /** Tokens per row (a shape bucket: pad the rows up to it). */
  sequenceLength: number;
  floatType?: FloatType;
}

/**
 * Graph (2): parameters are graph inputs (HF names, see parameterShapes), so one session scores
 * any checkpoint of the config: the policy, the frozen reference, an evaluation model.
 * Inputs `input_ids`, `attention_mask`, `response_mask` int64 [B, T]; outputs `logps` [B] and
 * `token_counts` [B] in the float type.
 */
export function buildLogprobGraph({ config, batchSize, sequenceLength, floatType = 'float32' }: LogprobGraphOptions): Uint8Array {
  const g = createGraph({ name: 'llama_logps', floatType });
  const params = declareParams(g, config);
  const batch = declareTokenBatch(g, batchSize, sequenceLength);
  const out = sequenceLogps(g, config, params, batch);
  g.output('logps', out.logps);
  g.output('token_counts', out.counts);
  return g.toModel();
}
