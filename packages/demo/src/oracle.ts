/**
 * The demo's preference ORACLE: exact probabilities in pure TypeScript, the "human" whose general
 * preference P(y > y' | x) SPPO optimises against (SPPO-REFERENCE 1.1). It has two parts:
 *
 *   P(y > y' | x) = sigmoid( QUALITY_WEIGHT * (q(y) - q(y')) + STYLE_WEIGHT * rps(style(y), style(y')) )
 *
 * - a transitive QUALITY part: q = 1 for the correct answer, 0 for a wrong answer, -1 for a
 *   response that follows no style at all (malformed), so a correct answer beats a wrong one with
 *   probability sigmoid(3) = 0.953 when their styles tie;
 * - an intransitive STYLE part: formal beats plain, warm beats formal, plain beats warm
 *   (rps = +1 win, -1 loss, 0 tie or no style), each decided comparison worth sigmoid(1) = 0.731.
 *
 * Constants: QUALITY_WEIGHT = 3, STYLE_WEIGHT = 1. P(y > y) = 1/2 exactly and
 * P(y > y') + P(y' > y) = 1, because the logit is antisymmetric. The style cycle is a preference no
 * Bradley-Terry reward can represent (a reward would need r(formal) > r(plain) > r(warm) > r(formal)).
 *
 * Nash equilibrium: among correct answers only the style part remains, a symmetric constant-sum
 * game with payoff P - 1/2 = +-(sigmoid(1) - 1/2) on the cycle; its unique equilibrium (the von
 * Neumann winner of SPPO-REFERENCE 1.1) is the uniform distribution over the three styles, against
 * which every style wins exactly half the time. So the optimal policy answers correctly in every
 * style with probability 1/3 each (styleNashEquilibrium).
 */
import { listedWords, parseResponse, solvePrompt, STYLES, type Style } from './task.ts';

export const QUALITY_WEIGHT = 3;
export const STYLE_WEIGHT = 1;

/** formal > plain, warm > formal, plain > warm. */
const BEATS: Record<Style, Style> = { formal: 'plain', warm: 'formal', plain: 'warm' };

/** +1 if style a beats b, -1 if b beats a, 0 for a tie or a missing style. */
export function rps(a: Style | undefined, b: Style | undefined): number {
  if (a === undefined || b === undefined || a === b) return 0;
  return BEATS[a] === b ? 1 : -1;
}

export interface Judgement {
  /** 1 correct, 0 wrong, -1 malformed. */
  quality: number;
  style: Style | undefined;
  answer: string | undefined;
  correct: boolean;
}

/** The oracle's reading of one response to a prompt. */
export function judgeResponse(prompt: string, response: string): Judgement {
  const parsed = parseResponse(response);
  if (parsed === undefined) return { quality: -1, style: undefined, answer: undefined, correct: false };
  const truth = solvePrompt(prompt);
  if (truth === undefined) {
    throw new Error(`The demo oracle only judges the demo task's prompts; ${JSON.stringify(prompt)} is not one (see packages/demo/src/task.ts)`);
  }
  const correct = parsed.answer === truth;
  return { quality: correct ? 1 : 0, style: parsed.style, answer: parsed.answer, correct };
}

/** What kind of answer a response gives, for diagnosis (scripts/diagnose.ts, README session 5). */
export type AnswerKind = 'correct' | 'listed' | 'unlisted' | 'malformed';

/**
 * 'correct'; 'listed': a wrong word the prompt itself names (pi_0's mistakes); 'unlisted': a wrong
 * word it does not name, the judge's blind spot ("tan" to "Which is not a fruit: green, kiwi or
 * date?"); 'malformed': no style recognised.
 */
export function answerKind(prompt: string, response: string): AnswerKind {
  const judged = judgeResponse(prompt, response);
  if (judged.quality === -1) return 'malformed';
  if (judged.correct) return 'correct';
  return listedWords(prompt).includes(judged.answer as string) ? 'listed' : 'unlisted';
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** The oracle's logit that y beats y' (antisymmetric: logit(y, y') = -logit(y', y)). */
export function oracleLogit(prompt: string, y: string, yPrime: string): number {
  const a = judgeResponse(prompt, y);
  const b = judgeResponse(prompt, yPrime);
  return QUALITY_WEIGHT * (a.quality - b.quality) + STYLE_WEIGHT * rps(a.style, b.style);
}

/** P(y > y' | x), exact. */
export function oracleProbability(prompt: string, y: string, yPrime: string): number {
  return sigmoid(oracleLogit(prompt, y, yPrime));
}

/** The intransitive part's Nash equilibrium over styles: uniform. */
export function styleNashEquilibrium(): Record<Style, number> {
  return { plain: 1 / 3, formal: 1 / 3, warm: 1 / 3 };
}

/**
 * Expected P(style s > opponent) among correct answers, for a style distribution of the opponent:
 * the payoff of a pure style, used to check that the uniform mix leaves no style better off.
 */
export function styleWinRate(style: Style, opponent: Readonly<Record<Style, number>>): number {
  let total = 0;
  for (const other of STYLES) total += (opponent[other] ?? 0) * sigmoid(STYLE_WEIGHT * rps(style, other));
  return total;
}

/**
 * The oracle as a pairwise judge with PairRM's output convention (a logit per (prompt, candidate1,
 * candidate2), positive when candidate 1 wins), so it drops in where packages/model's
 * PairwiseJudge is expected (e.g. to score a run with the true preference instead of a learned one).
 */
export function createOracleJudge(): { name: string; compare(batch: readonly { prompt: string; candidate1: string; candidate2: string }[]): Promise<number[]> } {
  return {
    name: 'demo:oracle',
    compare: async (batch) => batch.map(({ prompt, candidate1, candidate2 }) => oracleLogit(prompt, candidate1, candidate2)),
  };
}
