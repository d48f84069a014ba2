import { describe, expect, it } from 'vitest';
import { LossInputError } from '../errors.ts';
import {
  batchPreferenceLossReference,
  preferenceLossReference,
  preferenceMetricsReference,
  singleResponseSppoLossReference,
  type PreferenceExample,
} from './reference.ts';

// lw = -10 - (-12) = 2, ll = -15 - (-14) = -1, d = 3; beta = 0.1 so eta = 10.
const EXAMPLE: PreferenceExample = {
  policyChosenLogp: -10,
  referenceChosenLogp: -12,
  policyRejectedLogp: -15,
  referenceRejectedLogp: -14,
  chosenProbs: 0.8,
  chosenProbsWin: 0.7,
  chosenProbsLose: 0.3,
};
const OPTS = { beta: 0.1 };

describe('preferenceLossReference (hand-computed)', () => {
  it('sppo: 0.5*[(2 - 10*0.2)^2 + (-1 - 10*(-0.2))^2] = 0.5', () => {
    expect(preferenceLossReference('sppo', EXAMPLE, OPTS)).toBeCloseTo(0.5, 12);
    // swapping the win rates (a wrong sign / wrong field) gives 0.5*(16 + 9) = 12.5
    expect(preferenceLossReference('sppo', { ...EXAMPLE, chosenProbsWin: 0.3, chosenProbsLose: 0.7 }, OPTS)).toBeCloseTo(12.5, 12);
  });
  it('sppo_single: 0.5*[(2 - 3)^2 + (-1 + 3)^2] = 2.5', () => {
    expect(preferenceLossReference('sppo_single', EXAMPLE, OPTS)).toBeCloseTo(2.5, 12);
  });
  it('sppo_hard (TRL sum form): (2 - 5)^2 + (-1 + 5)^2 = 25, = 2 * sppo_single at pc = 1', () => {
    expect(preferenceLossReference('sppo_hard', EXAMPLE, OPTS)).toBeCloseTo(25, 12);
    expect(preferenceLossReference('sppo_single', { ...EXAMPLE, chosenProbs: 1 }, OPTS)).toBeCloseTo(12.5, 12);
  });
  it('sigmoid: -logsigmoid(0.3) = 0.554355..., with label smoothing 0.1: 0.584355...', () => {
    expect(preferenceLossReference('sigmoid', EXAMPLE, OPTS)).toBeCloseTo(0.554355244468527, 12);
    expect(preferenceLossReference('sigmoid', EXAMPLE, { beta: 0.1, labelSmoothing: 0.1 })).toBeCloseTo(0.584355244468527, 12);
  });
  it('ipo on summed log-probs: (3 - 5)^2 = 4', () => {
    expect(preferenceLossReference('ipo', EXAMPLE, OPTS)).toBeCloseTo(4, 12);
  });
  it('official magnitude: targets +-eta/2-ish, initial loss ~1e4 at eta = 1000 (SPPO-REFERENCE 2.4)', () => {
    const zero = { policyChosenLogp: -5, referenceChosenLogp: -5, policyRejectedLogp: -7, referenceRejectedLogp: -7 };
    const loss = preferenceLossReference('sppo', { ...zero, chosenProbsWin: 0.6725563840423889, chosenProbsLose: 0.26791816492048864 }, { beta: 0.001 });
    expect(loss).toBeCloseTo(0.5 * (172.55638404238894 ** 2 + 232.08183507951136 ** 2), 6);
  });
});

describe('missing fields and bad options', () => {
  const bare = { policyChosenLogp: 0, policyRejectedLogp: 0, referenceChosenLogp: 0, referenceRejectedLogp: 0 };
  it('sppo without win rates and sppo_single without chosen_probs are clear errors', () => {
    expect(() => preferenceLossReference('sppo', bare, OPTS)).toThrow(LossInputError);
    expect(() => preferenceLossReference('sppo', bare, OPTS)).toThrow(/chosen_probs_win/);
    expect(() => preferenceLossReference('sppo_single', bare, OPTS)).toThrow(/chosen_probs\b/);
    expect(() => preferenceLossReference('sppo', { ...bare, chosenProbsWin: 1.5, chosenProbsLose: 0.2 }, OPTS)).toThrow(/\[0, 1\]/);
  });
  it('losses that need no probabilities accept bare examples', () => {
    expect(preferenceLossReference('sppo_hard', bare, OPTS)).toBeCloseTo(50, 12);
    expect(preferenceLossReference('sigmoid', bare, OPTS)).toBeCloseTo(Math.LN2, 12);
  });
  it('rejects beta <= 0, an unknown loss type and an empty batch', () => {
    expect(() => preferenceLossReference('ipo', bare, { beta: 0 })).toThrow(/beta/);
    expect(() => preferenceLossReference('hinge' as 'ipo', bare, OPTS)).toThrow(/sppo, sppo_single/);
    expect(() => batchPreferenceLossReference('ipo', [], OPTS)).toThrow(/empty/);
  });
});

describe('batch, single-response loss and metrics', () => {
  const second: PreferenceExample = { ...EXAMPLE, policyChosenLogp: -13, policyRejectedLogp: -13 }; // lw = -1, ll = 1
  it('batch loss is the mean', () => {
    // ipo: (3 - 5)^2 = 4 and (-2 - 5)^2 = 49
    expect(batchPreferenceLossReference('ipo', [EXAMPLE, second], OPTS)).toBeCloseTo(26.5, 12);
  });
  it('eq. (4.7) for one response', () => {
    expect(singleResponseSppoLossReference(-10, -12, 0.7, 0.1)).toBeCloseTo(0, 12);
    expect(singleResponseSppoLossReference(-10, -12, 0.3, 0.1)).toBeCloseTo(16, 12);
    expect(() => singleResponseSppoLossReference(0, 0, 2, 0.1)).toThrow(/winRate/);
  });
  it('TRL-named metrics', () => {
    const m = preferenceMetricsReference([EXAMPLE, second], 0.1);
    expect(m['rewards/chosen']).toBeCloseTo((0.2 - 0.1) / 2, 12);
    expect(m['rewards/rejected']).toBeCloseTo((-0.1 + 0.1) / 2, 12);
    expect(m['rewards/accuracies']).toBe(0.5);
    expect(m['rewards/margins']).toBeCloseTo((0.3 - 0.2) / 2, 12);
    expect(m['logps/chosen']).toBe(-11.5);
    expect(m['logps/rejected']).toBe(-14);
  });
});
