/**
 * The demo's data, all drawn deterministically from one seed:
 * - `heldOut`: evaluation prompts, never used by a SPPO round (the report's win rates use these);
 * - `pool`: the run's prompt pool (round t takes the next prompts_per_iteration of it, core's plan);
 * - `validation`: prompts in neither of the above, for choosing the recipe (scripts/tune.ts): every
 *   choice is made on these, so the held-out prompts stay untouched by tuning;
 * - `sft`: rows {prompt, response} that teach pi_0 the task's format with a MIX of correct and wrong
 *   answers in unequal styles, so pi_0 samples diverse responses and SPPO has something to improve;
 * - `judgePairs`: pairs of responses labelled with the oracle's exact probability, for the mini-PairRM.
 *
 * Held-out prompts are held out from the SPPO rounds, not from pi_0's SFT data, which covers the whole
 * prompt space like a pretraining corpus; what the rounds must generalise to unseen prompts is the
 * preference (answer what you know, in a winning style), not the facts.
 */
import { createRng, hashString, type Rng } from '@sppo/model';
import { oracleProbability } from './oracle.ts';
import { ALL_WORDS, CATEGORIES, listedWords, promptSpace, renderResponse, STYLES, TASK_KINDS, type Style, type TaskKind, type TaskPrompt } from './task.ts';

export interface DemoDataOptions {
  seed?: number;
  heldOutPrompts?: number;
  poolPrompts?: number;
  /** Prompts for tuning choices, disjoint from the held-out prompts and the pool. */
  validationPrompts?: number;
  /**
   * Rows of pi_0's first stage ("pretraining"): every answer correct, in the SFT style mix, so pi_0
   * learns the task's rule before the mixed SFT rows teach it to hedge (assets.ts, issue 17).
   */
  pretrainExamples?: number;
  sftExamples?: number;
  /** Fraction of SFT responses that answer correctly. */
  sftCorrectRate?: number;
  /**
   * pi_0's mistakes in the SFT rows: 'distractors' (any plausible wrong answer, `wrongAnswer`) or
   * 'listed' (only a word the prompt lists: for `odd` a listed member of the category, for `pick`
   * the other option; `repeat` lists no other word and keeps its distractors). A pi_0 that saw
   * unlisted answers learns that a word outside the list may answer, and samples words of other
   * categories ("tan" to "Which is not a fruit: green, kiwi or date?"), which the small judge
   * cannot tell from the correct one (it does not check the list) and prefers: SPPO then drifts
   * there (README, issue 17).
   */
  sftMistakes?: SftMistakes;
  /** Style mix of the SFT responses (pi_0's style distribution, away from the uniform Nash). */
  sftStyleWeights?: Readonly<Record<Style, number>>;
  judgePairs?: number;
  /**
   * Fraction of the judge pairs' wrong answers drawn from the whole vocabulary instead of pi_0's
   * mistakes: words the prompt does not list (for `odd`, a word of another category; for `pick`,
   * a member of the named category). pi_0 samples such words now and then; a judge that never saw
   * them rates them correct, and SPPO drifts there (README, issue 17).
   */
  judgeUnlistedRate?: number;
  /**
   * Fraction of the judge pairs that give one answer (correct or not) in two different styles: the
   * style cycle alone, the comparison that decides most pairs once a policy answers correctly
   * (issue 17: without them the judge ordered such pairs right 82-91% of the time).
   */
  judgeStylePairRate?: number;
  /**
   * Fraction of the judge pairs that pit the correct answer against a word the prompt does not list
   * but that a category lookup cannot rule out (`odd`: a word of another category; `pick`: another
   * member of the named category; `repeat`: any other word), in one style: the blind spot SPPO
   * drifted into once pi_0 knew the task (issue 17), taught directly.
   */
  judgeBlindSpotRate?: number;
}

export interface SftRow {
  prompt: string;
  response: string;
}

export interface JudgePair {
  prompt: string;
  responseA: string;
  responseB: string;
  /** The oracle's P(responseA > responseB). */
  probability: number;
}

export interface DemoData {
  heldOut: TaskPrompt[];
  pool: TaskPrompt[];
  validation: TaskPrompt[];
  /** pi_0's first-stage rows (all correct; empty without `pretrainExamples`). */
  pretrain: SftRow[];
  sft: SftRow[];
  judgePairs: JudgePair[];
}

export const DEFAULT_STYLE_WEIGHTS: Readonly<Record<Style, number>> = { plain: 0.5, formal: 0.3, warm: 0.2 };

function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function pick<T>(items: readonly T[], rng: Rng): T {
  return items[Math.floor(rng.uniform() * items.length)] as T;
}

function pickStyle(weights: Readonly<Record<Style, number>>, rng: Rng): Style {
  const total = STYLES.reduce((s, k) => s + weights[k], 0);
  let u = rng.uniform() * total;
  for (const style of STYLES) {
    u -= weights[style];
    if (u < 0) return style;
  }
  return STYLES[STYLES.length - 1] as Style;
}

/** A wrong answer: the most plausible distractor half of the time, any other one otherwise. */
function wrongAnswer(item: TaskPrompt, rng: Rng): string {
  return rng.uniform() < 0.5 ? (item.distractors[0] as string) : pick(item.distractors, rng);
}

export const SFT_MISTAKES = ['distractors', 'listed'] as const;
export type SftMistakes = (typeof SFT_MISTAKES)[number];

/** The wrong answers a prompt lists itself (its distractors come listed ones first, task.ts). */
function listedDistractors(item: TaskPrompt): readonly string[] {
  if (item.kind === 'odd') return item.distractors.slice(0, 2);
  if (item.kind === 'pick') return item.distractors.slice(0, 1);
  return item.distractors;
}

/**
 * Wrong answers the prompt does not list and a category lookup cannot rule out: for `odd` ("Which
 * is not a fruit: pear, owl or plum?") every word outside the named category but the listed one, for `pick`
 * ("Which is a fruit: plum or owl?") the other members of the named category, for `repeat` any
 * other word. Telling them from the correct answer takes a copy check against the prompt.
 */
export function blindSpotAnswers(item: TaskPrompt): string[] {
  if (item.kind === 'repeat') return ALL_WORDS.filter((w) => w !== item.answer);
  if (item.kind === 'pick') {
    const named = Object.values(CATEGORIES).find((words) => (words as readonly string[]).includes(item.answer)) as readonly string[];
    return named.filter((w) => w !== item.answer);
  }
  // (an `odd` prompt's distractors are the named category's members)
  const listed = listedWords(item.prompt);
  return ALL_WORDS.filter((w) => !listed.includes(w) && !item.distractors.includes(w));
}

/** A wrong answer for a judge pair: any other vocabulary word with `unlistedRate`, else pi_0's kind. */
function judgeWrongAnswer(item: TaskPrompt, rng: Rng, unlistedRate: number): string {
  if (unlistedRate > 0 && rng.uniform() < unlistedRate) return pick(ALL_WORDS.filter((w) => w !== item.answer), rng);
  return wrongAnswer(item, rng);
}

/** A response as the base distribution writes it: correct with `correctRate`, in a weighted style. */
export function sampleResponse(item: TaskPrompt, rng: Rng, correctRate: number, styleWeights: Readonly<Record<Style, number>>, mistakes: SftMistakes = 'distractors'): string {
  const answer = rng.uniform() < correctRate ? item.answer : mistakes === 'listed' ? pick(listedDistractors(item), rng) : wrongAnswer(item, rng);
  return renderResponse(pickStyle(styleWeights, rng), answer);
}

/**
 * Round-robin over the kinds, `count` prompts, each kind's prompts in shuffled order (wrapping, or
 * with `wrap` false skipping a kind once it is used up: then at most all of them).
 */
function stratified(byKind: Record<TaskKind, TaskPrompt[]>, count: number, { wrap = true } = {}): TaskPrompt[] {
  const out: TaskPrompt[] = [];
  const cursor: Record<TaskKind, number> = { odd: 0, repeat: 0, pick: 0 };
  const limit = wrap ? count : Math.min(count, TASK_KINDS.reduce((n, kind) => n + byKind[kind].length, 0));
  for (let i = 0; out.length < limit; i++) {
    const kind = TASK_KINDS[i % TASK_KINDS.length] as TaskKind;
    const list = byKind[kind];
    if (list.length === 0 || (!wrap && cursor[kind] >= list.length)) continue;
    out.push(list[cursor[kind] % list.length] as TaskPrompt);
    cursor[kind]++;
  }
  return out;
}

export function buildDemoData({
  seed = 7,
  heldOutPrompts = 48,
  poolPrompts = 144,
  validationPrompts = 0,
  pretrainExamples = 0,
  sftExamples = 3000,
  sftCorrectRate = 0.35,
  sftMistakes = 'distractors',
  sftStyleWeights = DEFAULT_STYLE_WEIGHTS,
  judgePairs = 3000,
  judgeUnlistedRate = 0,
  judgeStylePairRate = 0,
  judgeBlindSpotRate = 0,
}: DemoDataOptions = {}): DemoData {
  // One stream per part, so resizing one part (e.g. the pool) leaves the others (e.g. pi_0's SFT
  // data, hence the cached base policy) unchanged.
  const stream = (part: string): Rng => createRng(hashString(`${seed}:${part}`));
  let rng = stream('split');
  const space = promptSpace();
  const shuffled = { odd: shuffle(space.odd, rng), repeat: shuffle(space.repeat, rng), pick: shuffle(space.pick, rng) };
  const heldOut = stratified(shuffled, heldOutPrompts);
  // Validation next, from what the held-out prompts left, then the pool from what both left: so
  // resizing the pool changes neither the held-out nor the validation prompts.
  const without = (byKind: Record<TaskKind, TaskPrompt[]>, taken: readonly TaskPrompt[]): Record<TaskKind, TaskPrompt[]> => {
    const ids = new Set(taken.map((p) => p.prompt_id));
    return { odd: byKind.odd.filter((p) => !ids.has(p.prompt_id)), repeat: byKind.repeat.filter((p) => !ids.has(p.prompt_id)), pick: byKind.pick.filter((p) => !ids.has(p.prompt_id)) };
  };
  const afterHeldOut = without(shuffled, heldOut);
  // (a kind with nothing left, `repeat` whose 30 prompts are all held out, is skipped)
  const validation = stratified(afterHeldOut, validationPrompts, { wrap: false });
  const pool = stratified(without(afterHeldOut, validation), poolPrompts).map((p, i) => ({ ...p, prompt_id: `${p.prompt_id}-${i}` }));

  const everything = [...space.odd, ...space.repeat, ...space.pick];
  const byKind = space;
  const rows = (part: string, count: number, correctRate: number): SftRow[] => {
    const partRng = stream(part);
    const out: SftRow[] = [];
    for (let i = 0; i < count; i++) {
      const item = pick(byKind[TASK_KINDS[i % TASK_KINDS.length] as TaskKind], partRng);
      out.push({ prompt: item.prompt, response: sampleResponse(item, partRng, correctRate, sftStyleWeights, sftMistakes) });
    }
    return out;
  };
  const sft = rows('sft', sftExamples, sftCorrectRate);
  const pretrain = rows('pretrain', pretrainExamples, 1);

  // Judge pairs: responses from a broader mix than pi_0's (half correct, uniform styles), so the
  // judge sees every (quality, style) combination. Half the pairs share one style and differ only in
  // the answer: correctness is the hard part to learn (it needs the prompt), style the easy one.
  const uniform: Record<Style, number> = { plain: 1, formal: 1, warm: 1 };
  rng = stream('judge');
  const pairs: JudgePair[] = [];
  for (let i = 0; pairs.length < judgePairs; i++) {
    const item = i % 4 === 3 ? pick(everything, rng) : pick(byKind[TASK_KINDS[i % TASK_KINDS.length] as TaskKind], rng);
    let a: string;
    let b: string;
    // (drawn only when asked for, so recipes without these pairs keep their judge data and cache)
    const special = judgeStylePairRate > 0 || judgeBlindSpotRate > 0 ? rng.uniform() : 1;
    if (special < judgeBlindSpotRate) {
      const style = pickStyle(uniform, rng);
      const wrong = renderResponse(style, pick(blindSpotAnswers(item), rng));
      [a, b] = rng.uniform() < 0.5 ? [renderResponse(style, item.answer), wrong] : [wrong, renderResponse(style, item.answer)];
    } else if (special < judgeBlindSpotRate + judgeStylePairRate) {
      const answer = rng.uniform() < 0.5 ? item.answer : judgeWrongAnswer(item, rng, judgeUnlistedRate);
      const first = pickStyle(uniform, rng);
      const others = STYLES.filter((style) => style !== first);
      [a, b] = [renderResponse(first, answer), renderResponse(pick(others, rng), answer)];
    } else if (rng.uniform() < 0.5) {
      const style = pickStyle(uniform, rng);
      const [first, second] = rng.uniform() < 0.5 ? [item.answer, judgeWrongAnswer(item, rng, judgeUnlistedRate)] : [judgeWrongAnswer(item, rng, judgeUnlistedRate), item.answer];
      [a, b] = [renderResponse(style, first), renderResponse(style, second)];
    } else {
      const response = (): string => renderResponse(pickStyle(uniform, rng), rng.uniform() < 0.5 ? item.answer : judgeWrongAnswer(item, rng, judgeUnlistedRate));
      [a, b] = judgeUnlistedRate > 0 ? [response(), response()] : [sampleResponse(item, rng, 0.5, uniform), sampleResponse(item, rng, 0.5, uniform)];
    }
    if (a === b) continue; // an identical pair carries no preference
    pairs.push({ prompt: item.prompt, responseA: a, responseB: b, probability: oracleProbability(item.prompt, a, b) });
  }
  return { heldOut, pool, validation, pretrain, sft, judgePairs: pairs };
}
