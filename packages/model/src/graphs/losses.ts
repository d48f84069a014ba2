/**
 * Training losses on top of `sequenceLogps`, each returning a scalar loss and TRL-named metrics.
 * The formulas are those of packages/core's reference functions (preferenceLossReference and
 * singleResponseSppoLossReference); the tests check the graphs against them.
 */
import type { GraphBuilder, Tensor } from '@sppo/autodiff';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import type { ParamTensors } from './decoder.ts';
import { sequenceLogps, type TokenBatch } from './sequence-logps.ts';

export const PREFERENCE_LOSS_TYPES = ['sppo', 'sppo_single', 'sppo_hard', 'sigmoid', 'ipo'] as const;
export type PreferenceLossType = (typeof PREFERENCE_LOSS_TYPES)[number];

export interface LossGraph {
  loss: Tensor;
  metrics: Record<string, Tensor>;
}

/**
 * Mean over examples; with `rowMask` ([B], 1 = real example, 0 = filler row padding a batch up to
 * its bucket) the mean of the real examples only: sum(m * x) / max(sum(m), 1).
 */
function batchMean(g: GraphBuilder, rowMask: Tensor | undefined): (t: Tensor) => Tensor {
  if (!rowMask) return (t) => g.reduceMean(t, [0]);
  const denom = g.maximum(g.reduceSum(rowMask, [0]), 1);
  return (t) => g.div(g.reduceSum(g.mul(t, rowMask), [0]), denom);
}

/**
 * SFT: mean negative log-likelihood over every response token of the batch (HF causal-LM loss
 * with labels = -100 outside the response), plus TRL SFT's `mean_token_accuracy` and `num_tokens`.
 */
export function sftLoss(g: GraphBuilder, config: LlamaGraphConfig, params: ParamTensors, batch: TokenBatch): LossGraph {
  const s = sequenceLogps(g, config, params, batch);
  const tokens = g.reduceSum(s.scoredMask, [0, 1]);
  const denom = g.maximum(tokens, 1); // an all-prompt batch gives loss 0, not NaN
  const nll = g.neg(g.reduceSum(g.mul(s.tokenLogps, s.scoredMask), [0, 1]));
  // A token counts as correct when it has the row's largest logit (argmax without an ArgMax op):
  // its log-prob is then the row maximum, log p = logit - logsumexp.
  const logits = g.stopGradient(s.logits);
  const best = g.reduceMax(logits, [2]);
  const picked = g.squeeze(g.gatherElements(logits, g.unsqueeze(s.targets, [2]), 2), [2]);
  const correct = g.cast(g.greaterOrEqual(picked, best), g.floatType);
  return {
    loss: g.div(nll, denom),
    metrics: {
      mean_token_accuracy: g.div(g.reduceSum(g.mul(correct, s.scoredMask), [0, 1]), denom),
      num_tokens: tokens,
    },
  };
}

/** Reference log-probs and the judge's probabilities for B pairs, each [B]. */
export interface PreferenceExtras {
  referenceChosenLogps: Tensor;
  referenceRejectedLogps: Tensor;
  /** P(y_w > y_l) for sppo_single (uclaml `chosen_probs`). */
  chosenProbs?: Tensor;
  /** P-hat(y_w > pi_t) for sppo (uclaml `chosen_probs_win`). */
  chosenProbsWin?: Tensor;
  /** P-hat(y_l > pi_t) for sppo (uclaml `chosen_probs_lose`). */
  chosenProbsLose?: Tensor;
  /** [B] 1 = real pair, 0 = filler pair (excluded from the loss and metrics). */
  rowMask?: Tensor;
}

export interface PreferenceLossOptions {
  lossType: PreferenceLossType;
  /** beta = 1/eta (SPPO: 0.001). */
  beta: number;
  /** cDPO label smoothing for `sigmoid` only. */
  labelSmoothing?: number;
}

/** Which probability inputs a loss type reads (the others are not declared). */
export function probabilityInputsFor(lossType: PreferenceLossType): ('chosen_probs' | 'chosen_probs_win' | 'chosen_probs_lose')[] {
  if (lossType === 'sppo') return ['chosen_probs_win', 'chosen_probs_lose'];
  if (lossType === 'sppo_single') return ['chosen_probs'];
  return [];
}

function required(t: Tensor | undefined, what: string, lossType: string): Tensor {
  if (!t) throw new Error(`preference loss '${lossType}' needs ${what}; pass it in the extras`);
  return t;
}

/**
 * Pairwise losses on a batch of 2B rows, chosen rows 0..B-1 then rejected rows B..2B-1 (TRL's
 * concatenated forward). lw = log pi(y_w) - log pi_ref(y_w), ll likewise, d = lw - ll.
 */
export function preferenceLoss(
  g: GraphBuilder,
  config: LlamaGraphConfig,
  params: ParamTensors,
  batch: TokenBatch,
  extras: PreferenceExtras,
  { lossType, beta, labelSmoothing = 0 }: PreferenceLossOptions,
): LossGraph {
  if (!PREFERENCE_LOSS_TYPES.includes(lossType)) {
    throw new Error(`Unknown loss_type "${String(lossType)}". Should be one of: ${PREFERENCE_LOSS_TYPES.join(', ')}`);
  }
  if (!(beta > 0)) throw new Error(`beta must be > 0 (SPPO uses 0.001 = 1/eta), got ${beta}`);
  const rows = batch.inputIds.shape[0];
  if (typeof rows !== 'number' || rows % 2 !== 0) {
    throw new Error(`preference batch must have an even, fixed number of rows (chosen then rejected), got ${String(rows)}`);
  }
  const B = rows / 2;
  const s = sequenceLogps(g, config, params, batch);
  const chosen = g.slice(s.logps, [0], [B], [0]);
  const rejected = g.slice(s.logps, [B], [rows], [0]);
  const lw = g.sub(chosen, extras.referenceChosenLogps);
  const ll = g.sub(rejected, extras.referenceRejectedLogps);
  const sq = (t: Tensor): Tensor => g.mul(t, t);
  const eta = 1 / beta;
  let perExample: Tensor;
  switch (lossType) {
    case 'sppo': {
      // uclaml/SPPO sppo/trainer.py `sppo_loss`: eq. (4.7) on winner and loser with K-sample win rates.
      const pw = required(extras.chosenProbsWin, 'chosenProbsWin (chosen_probs_win)', lossType);
      const pl = required(extras.chosenProbsLose, 'chosenProbsLose (chosen_probs_lose)', lossType);
      const tw = sq(g.sub(lw, g.mul(g.sub(pw, 0.5), eta)));
      const tl = sq(g.sub(ll, g.mul(g.sub(pl, 0.5), eta)));
      perExample = g.mul(g.add(tw, tl), 0.5);
      break;
    }
    case 'sppo_single': {
      // uclaml `sppo_single`: both sides from the pairwise P(y_w > y_l), the loser's target mirrored.
      const pc = required(extras.chosenProbs, 'chosenProbs (chosen_probs)', lossType);
      const target = g.mul(g.sub(pc, 0.5), eta);
      perExample = g.mul(g.add(sq(g.sub(lw, target)), sq(g.add(ll, target))), 0.5);
      break;
    }
    case 'sppo_hard':
      // TRL dpo_trainer `sppo_hard` (eq. 4.7 with P = 1 / 0): a sum of the two terms, not a mean.
      perExample = g.add(sq(g.sub(lw, eta / 2)), sq(g.add(ll, eta / 2)));
      break;
    case 'sigmoid': {
      // DPO (Rafailov et al. eq. 7) with cDPO label smoothing, as TRL.
      const d = g.mul(g.sub(lw, ll), beta);
      const pos = g.mul(g.logSigmoid(d), -(1 - labelSmoothing));
      perExample = labelSmoothing === 0 ? pos : g.sub(pos, g.mul(g.logSigmoid(g.neg(d)), labelSmoothing));
      break;
    }
    case 'ipo':
      // IPO (Azar et al. eq. 17) on summed log-probs, as uclaml's branch (TRL now length-normalises).
      perExample = sq(g.sub(g.sub(lw, ll), eta / 2));
      break;
  }
  const rw = g.mul(lw, beta);
  const rl = g.mul(ll, beta);
  const mean = batchMean(g, extras.rowMask);
  return {
    loss: mean(perExample),
    metrics: {
      'rewards/chosen': mean(rw),
      'rewards/rejected': mean(rl),
      'rewards/accuracies': mean(g.cast(g.greater(rw, rl), g.floatType)),
      'rewards/margins': mean(g.sub(rw, rl)),
      'logps/chosen': mean(chosen),
      'logps/rejected': mean(rejected),
    },
  };
}

/**
 * Eq. (4.7) per response (selection 'all'): every row is (x, y) with its own win rate, loss =
 * mean over rows of (log pi(y|x) - log pi_ref(y|x) - eta (P-hat - 1/2))^2.
 */
export function singleResponseSppoLoss(
  g: GraphBuilder,
  config: LlamaGraphConfig,
  params: ParamTensors,
  batch: TokenBatch,
  extras: { referenceLogps: Tensor; winRate: Tensor; rowMask?: Tensor },
  { beta }: { beta: number },
): LossGraph {
  if (!(beta > 0)) throw new Error(`beta must be > 0 (SPPO uses 0.001 = 1/eta), got ${beta}`);
  const s = sequenceLogps(g, config, params, batch);
  const ratio = g.sub(s.logps, extras.referenceLogps);
  const err = g.sub(ratio, g.mul(g.sub(extras.winRate, 0.5), 1 / beta));
  const reward = g.mul(ratio, beta);
  const mean = batchMean(g, extras.rowMask);
  return {
    loss: mean(g.mul(err, err)),
    metrics: {
      'rewards/mean': mean(reward),
      'rewards/positive': mean(g.cast(g.greater(reward, 0), g.floatType)),
      'logps/mean': mean(s.logps),
    },
  };
}
