/**
 * Rule judges: exact, deterministic logits computed in TypeScript, for synthetic tasks, demos and
 * tests of the preference maths. They follow PairRM's output convention (logit > 0: candidate 1
 * wins) so they plug in wherever a model judge does.
 */
import type { PairwiseExample, PairwiseJudge } from './types.ts';

export interface RewardJudgeOptions {
  name?: string;
  /** A scalar reward per response. */
  reward: (prompt: string, response: string) => number;
}

/**
 * logit = r(c1) - r(c2): a Bradley-Terry judge, i.e. PairRM's head (MLP(c1) - MLP(c2)) with
 * position-independent scores. Then C_ij - C_ji = 2 (r_i - r_j) and the PairRM aggregate score is
 * s_i = 2 (r_i - mean r) (core's aggregateScores), so rewards r give rm_scores 2 (r - mean r).
 */
export function createRewardJudge({ name = 'rule:reward', reward }: RewardJudgeOptions): PairwiseJudge {
  return {
    name,
    compare: async (batch: readonly PairwiseExample[]) =>
      batch.map(({ prompt, candidate1, candidate2 }) => reward(prompt, candidate1) - reward(prompt, candidate2)),
  };
}

export interface LengthJudgeOptions {
  /** Logit per character of difference. */
  scale?: number;
}

/** `rule:length`: longer is better; logit = scale * (chars(c1) - chars(c2)), chars in code points. */
export function createLengthJudge({ scale = 1 / 16 }: LengthJudgeOptions = {}): PairwiseJudge {
  return createRewardJudge({ name: 'rule:length', reward: (_prompt, response) => scale * [...response].length });
}

export const RPS_STYLES = ['rock', 'paper', 'scissors'] as const;
export type RpsStyle = (typeof RPS_STYLES)[number];

const RPS_PATTERN = /\b(rock|paper|scissors)\b/i;

/** The style of a response: its first rock / paper / scissors word (case-insensitive), else undefined. */
export function rpsStyleOf(response: string): RpsStyle | undefined {
  const m = RPS_PATTERN.exec(response);
  return m ? (m[1]?.toLowerCase() as RpsStyle) : undefined;
}

/** +1 if a beats b (paper > rock > scissors > paper), -1 if b beats a, 0 for a tie or an unknown style. */
export function rpsOutcome(a: RpsStyle | undefined, b: RpsStyle | undefined): number {
  if (a === undefined || b === undefined || a === b) return 0;
  const beats: Record<RpsStyle, RpsStyle> = { paper: 'rock', rock: 'scissors', scissors: 'paper' };
  return beats[a] === b ? 1 : -1;
}

export interface RpsJudgeOptions {
  /** |logit| of a decided comparison. */
  strength?: number;
}

/**
 * `rule:rps`: an intransitive judge (paper beats rock beats scissors beats paper) that no scalar
 * reward can represent; logit = strength * outcome(style(c1), style(c2)). On one of each style the
 * official aggregate scores are all 0 (every response wins once and loses once), while the direct
 * P_ij = sigmoid(C_ij - C_ji) = sigmoid(2 strength) keeps the cycle.
 */
export function createRpsJudge({ strength = 2 }: RpsJudgeOptions = {}): PairwiseJudge {
  return {
    name: 'rule:rps',
    compare: async (batch) => batch.map(({ candidate1, candidate2 }) => strength * rpsOutcome(rpsStyleOf(candidate1), rpsStyleOf(candidate2))),
  };
}

export const RULE_JUDGE_NAMES = ['rule:length', 'rule:rps'] as const;
export type RuleJudgeName = (typeof RULE_JUDGE_NAMES)[number];

export function isRuleJudgeName(spec: string): spec is RuleJudgeName {
  return (RULE_JUDGE_NAMES as readonly string[]).includes(spec);
}

/** A rule judge by name (the run config's `judge_model: rule:...`). */
export function createRuleJudge(spec: string): PairwiseJudge {
  if (spec === 'rule:length') return createLengthJudge();
  if (spec === 'rule:rps') return createRpsJudge();
  throw new Error(`Unknown rule judge ${JSON.stringify(spec)}. Valid rule judges: ${RULE_JUDGE_NAMES.join(', ')}; or give a judge checkpoint folder / S3 prefix.`);
}
