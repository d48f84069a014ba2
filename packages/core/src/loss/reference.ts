/**
 * Loss reference functions in plain float64: the oracles the ONNX training graphs are tested
 * against. Notation (SPPO-REFERENCE 2.4, uclaml/SPPO sppo/trainer.py `sppo_loss`):
 *   lw = log pi_theta(y_w|x) - log pi_t(y_w|x), ll likewise for y_l (summed response-token log-probs),
 *   pw = chosen_probs_win, pl = chosen_probs_lose, pc = chosen_probs, eta = 1/beta.
 */
import { LossInputError } from '../errors.ts';
import { logSigmoid } from '../preference/sigmoid.ts';

export type LossType = 'sppo' | 'sppo_single' | 'sppo_hard' | 'sigmoid' | 'ipo';
export const LOSS_TYPE_NAMES: readonly LossType[] = ['sppo', 'sppo_single', 'sppo_hard', 'sigmoid', 'ipo'];

export interface PreferenceExample {
  policyChosenLogp: number;
  policyRejectedLogp: number; // summed response-token log-probs under pi_theta
  referenceChosenLogp: number;
  referenceRejectedLogp: number; // same under the frozen reference pi_t
  chosenProbs?: number;
  chosenProbsWin?: number;
  chosenProbsLose?: number; // official triplet fields
}

export interface LossOptions {
  beta: number;
  labelSmoothing?: number;
}

function requireProbability(example: PreferenceExample, field: 'chosenProbs' | 'chosenProbsWin' | 'chosenProbsLose', lossType: LossType): number {
  const value = example[field];
  if (value === undefined || !Number.isFinite(value) || value < 0 || value > 1) {
    const row = { chosenProbs: 'chosen_probs', chosenProbsWin: 'chosen_probs_win', chosenProbsLose: 'chosen_probs_lose' }[field];
    throw new LossInputError(
      `loss_type '${lossType}' needs ${field} (the triplet column ${row}) as a probability in [0, 1], got ${String(value)}; use triplet shards built with selection 'extremes', or loss_type 'sppo_hard' / 'sigmoid' / 'ipo' which need no probabilities.`,
    );
  }
  return value;
}

/**
 * Per-example loss:
 * - sppo (official, eq. 4.7 on both responses, SPPO-REFERENCE 2.4):
 *     0.5 * [(lw - (1/beta)(pw - 1/2))^2 + (ll - (1/beta)(pl - 1/2))^2]
 * - sppo_single (SPPO-REFERENCE 2.4): 0.5 * [(lw - (1/beta)(pc - 1/2))^2 + (ll + (1/beta)(pc - 1/2))^2]
 * - sppo_hard (TRL DPOTrainer, the SUM form, SPPO-REFERENCE 4.1): (lw - 1/(2 beta))^2 + (ll + 1/(2 beta))^2
 * - sigmoid (DPO with label smoothing ls): -(1 - ls) logsigmoid(beta d) - ls logsigmoid(-beta d), d = lw - ll
 * - ipo on SUMMED log-probs, as the SPPO repo's branch (not TRL's length-normalised one): (d - 1/(2 beta))^2
 */
export function preferenceLossReference(lossType: LossType, example: PreferenceExample, options: LossOptions): number {
  const { beta, labelSmoothing = 0 } = options;
  if (!(beta > 0) || !Number.isFinite(beta)) throw new LossInputError(`beta must be a positive finite number (eta = 1/beta), got ${beta}.`);
  const lw = example.policyChosenLogp - example.referenceChosenLogp;
  const ll = example.policyRejectedLogp - example.referenceRejectedLogp;
  const eta = 1 / beta;
  switch (lossType) {
    case 'sppo': {
      const pw = requireProbability(example, 'chosenProbsWin', lossType);
      const pl = requireProbability(example, 'chosenProbsLose', lossType);
      return 0.5 * ((lw - eta * (pw - 0.5)) ** 2 + (ll - eta * (pl - 0.5)) ** 2);
    }
    case 'sppo_single': {
      const pc = requireProbability(example, 'chosenProbs', lossType);
      return 0.5 * ((lw - eta * (pc - 0.5)) ** 2 + (ll + eta * (pc - 0.5)) ** 2);
    }
    case 'sppo_hard':
      return (lw - eta / 2) ** 2 + (ll + eta / 2) ** 2;
    case 'sigmoid': {
      if (!(labelSmoothing >= 0 && labelSmoothing <= 0.5)) {
        throw new LossInputError(`labelSmoothing must be in [0, 0.5], got ${labelSmoothing}.`);
      }
      const d = lw - ll;
      return -(1 - labelSmoothing) * logSigmoid(beta * d) - labelSmoothing * logSigmoid(-beta * d);
    }
    case 'ipo':
      return (lw - ll - eta / 2) ** 2;
    default:
      throw new LossInputError(`unknown loss type ${JSON.stringify(lossType)}: use one of ${LOSS_TYPE_NAMES.join(', ')}.`);
  }
}

/** Mean of preferenceLossReference over the batch (the trainers' reduction). */
export function batchPreferenceLossReference(lossType: LossType, examples: PreferenceExample[], options: LossOptions): number {
  if (examples.length === 0) throw new LossInputError('the batch is empty: a mean loss needs at least one example.');
  let sum = 0;
  for (const example of examples) sum += preferenceLossReference(lossType, example, options);
  return sum / examples.length;
}

/** Equation (4.7) for one response (selection 'all'): (logp - refLogp - (1/beta)(winRate - 1/2))^2. */
export function singleResponseSppoLossReference(policyLogp: number, referenceLogp: number, winRate: number, beta: number): number {
  if (!(beta > 0) || !Number.isFinite(beta)) throw new LossInputError(`beta must be a positive finite number, got ${beta}.`);
  if (!(winRate >= 0 && winRate <= 1)) throw new LossInputError(`winRate must be a probability in [0, 1], got ${winRate}.`);
  return (policyLogp - referenceLogp - (winRate - 0.5) / beta) ** 2;
}

/**
 * TRL-named metrics of a batch (sppo/trainer.py `get_batch_loss_metrics`): means of
 * rewards/chosen = beta*lw, rewards/rejected = beta*ll, rewards/accuracies = [beta*lw > beta*ll],
 * rewards/margins = beta*(lw - ll), logps/chosen, logps/rejected (policy log-probs).
 */
export function preferenceMetricsReference(examples: PreferenceExample[], beta: number): Record<string, number> {
  if (examples.length === 0) throw new LossInputError('the batch is empty: metrics need at least one example.');
  const n = examples.length;
  let chosen = 0;
  let rejected = 0;
  let accuracies = 0;
  let logpsChosen = 0;
  let logpsRejected = 0;
  for (const e of examples) {
    const rc = beta * (e.policyChosenLogp - e.referenceChosenLogp);
    const rr = beta * (e.policyRejectedLogp - e.referenceRejectedLogp);
    chosen += rc;
    rejected += rr;
    accuracies += rc > rr ? 1 : 0;
    logpsChosen += e.policyChosenLogp;
    logpsRejected += e.policyRejectedLogp;
  }
  return {
    'rewards/chosen': chosen / n,
    'rewards/rejected': rejected / n,
    'rewards/accuracies': accuracies / n,
    'rewards/margins': (chosen - rejected) / n,
    'logps/chosen': logpsChosen / n,
    'logps/rejected': logpsRejected / n,
  };
}
