/**
 * The demo's synthetic instruction task: short prompts a model of ~0.1M parameters can learn on two
 * CPU cores, each with one correct answer that can be read off the prompt text itself, and three
 * response STYLES that the oracle (oracle.ts) ranks in a rock-paper-scissors cycle.
 *
 * Three kinds of prompt (all answers are one word or number, so correctness is exact):
 * - add:    "What is 3 plus 5?"                    -> "8"
 * - repeat: "Repeat the word plum."                -> "plum"
 * - pick:   "Which is a fruit: plum or owl?"       -> "plum"
 *
 * Three styles wrap an answer (lengths differ on purpose, so the report's mean-length column shows
 * whether the policy drifts toward long answers, the length bias the paper's Table 1 tracks):
 * - plain:  "8."
 * - formal: "The answer is 8."
 * - warm:   "8! Happy to help."
 */

export const STYLES = ['plain', 'formal', 'warm'] as const;
export type Style = (typeof STYLES)[number];

export const TASK_KINDS = ['add', 'repeat', 'pick'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** The word categories of `repeat` and `pick` (short, common words: few BPE tokens each). */
export const CATEGORIES = {
  animal: ['cat', 'dog', 'cow', 'fox', 'owl', 'bee', 'pig', 'hen', 'ant', 'bat'],
  color: ['red', 'blue', 'green', 'pink', 'gray', 'gold', 'black', 'white', 'brown', 'tan'],
  fruit: ['apple', 'pear', 'plum', 'lime', 'kiwi', 'fig', 'grape', 'melon', 'peach', 'date'],
} as const satisfies Record<string, readonly string[]>;
export type Category = keyof typeof CATEGORIES;
const CATEGORY_NAMES = Object.keys(CATEGORIES) as Category[];
const ARTICLE: Record<Category, string> = { animal: 'an', color: 'a', fruit: 'a' };
export const ALL_WORDS: readonly string[] = CATEGORY_NAMES.flatMap((c) => CATEGORIES[c]);

/** Operands of `add` are 0..MAX_OPERAND. */
export const MAX_OPERAND = 9;

export interface TaskPrompt {
  prompt_id: string;
  prompt: string;
  kind: TaskKind;
  /** The one correct answer (a word or a number as text). */
  answer: string;
  /** Plausible wrong answers, the ones a confused model gives. */
  distractors: readonly string[];
}

// ---------------------------------------------------------------- responses

export function renderResponse(style: Style, answer: string): string {
  switch (style) {
    case 'plain':
      return `${answer}.`;
    case 'formal':
      return `The answer is ${answer}.`;
    case 'warm':
      return `${answer}! Happy to help.`;
  }
}

const RESPONSE_PATTERNS: readonly [Style, RegExp][] = [
  ['formal', /^The answer is ([A-Za-z0-9]+)\.$/],
  ['warm', /^([A-Za-z0-9]+)! Happy to help\.$/],
  ['plain', /^([A-Za-z0-9]+)\.$/],
];

export interface ParsedResponse {
  style: Style;
  answer: string;
}

/** The style and answer of a well-formed response (surrounding whitespace ignored), else undefined. */
export function parseResponse(response: string): ParsedResponse | undefined {
  const text = response.trim();
  for (const [style, pattern] of RESPONSE_PATTERNS) {
    const m = pattern.exec(text);
    if (m) return { style, answer: m[1] as string };
  }
  return undefined;
}

// ---------------------------------------------------------------- prompts

// Not anchored: the prompt may come wrapped in the policy's chat template (the judge service passes
// the templated prompt_text, as the official pipeline gives PairRM, SPPO-REFERENCE 2.2 step 6).
const ADD = /\bWhat is (\d+) plus (\d+)\?/;
const REPEAT = /\bRepeat the word ([a-z]+)\./;
const PICK = /\bWhich is an? (animal|color|fruit): ([a-z]+) or ([a-z]+)\?/;

/** The correct answer of a task prompt (raw or chat-templated), read from its text; else undefined. */
export function solvePrompt(prompt: string): string | undefined {
  const text = prompt;
  let m = ADD.exec(text);
  if (m) return String(Number(m[1]) + Number(m[2]));
  m = REPEAT.exec(text);
  if (m) return m[1] as string;
  m = PICK.exec(text);
  if (m) {
    const words: readonly string[] = CATEGORIES[m[1] as Category];
    const [a, b] = [m[2] as string, m[3] as string];
    if (words.includes(a) && !words.includes(b)) return a;
    if (words.includes(b) && !words.includes(a)) return b;
  }
  return undefined;
}

function addPrompts(): TaskPrompt[] {
  const out: TaskPrompt[] = [];
  const sums = Array.from({ length: 2 * MAX_OPERAND + 1 }, (_, i) => String(i));
  for (let a = 0; a <= MAX_OPERAND; a++) {
    for (let b = 0; b <= MAX_OPERAND; b++) {
      const answer = String(a + b);
      // Near misses first (off by one or two), as a model that half-knows addition errs.
      const near = [a + b - 1, a + b + 1, a + b - 2, a + b + 2].filter((n) => n >= 0 && n <= 2 * MAX_OPERAND).map(String);
      const rest = sums.filter((s) => s !== answer && !near.includes(s));
      out.push({ prompt_id: `add-${a}-${b}`, prompt: `What is ${a} plus ${b}?`, kind: 'add', answer, distractors: [...near, ...rest] });
    }
  }
  return out;
}

function repeatPrompts(): TaskPrompt[] {
  return ALL_WORDS.map((w) => ({
    prompt_id: `repeat-${w}`,
    prompt: `Repeat the word ${w}.`,
    kind: 'repeat' as const,
    answer: w,
    distractors: ALL_WORDS.filter((x) => x !== w),
  }));
}

function pickPrompts(): TaskPrompt[] {
  const out: TaskPrompt[] = [];
  for (const category of CATEGORY_NAMES) {
    const members: readonly string[] = CATEGORIES[category];
    const others = ALL_WORDS.filter((w) => !members.includes(w));
    for (const yes of members) {
      for (const no of others) {
        for (const [first, second] of [[yes, no], [no, yes]] as const) {
          out.push({
            prompt_id: `pick-${category}-${first}-${second}`,
            prompt: `Which is ${ARTICLE[category]} ${category}: ${first} or ${second}?`,
            kind: 'pick',
            answer: yes,
            // The other option is the natural mistake; any other word is a wilder one.
            distractors: [no, ...ALL_WORDS.filter((w) => w !== yes && w !== no)],
          });
        }
      }
    }
  }
  return out;
}

/** Every prompt of the task, grouped by kind, in a fixed order (100 add, 30 repeat, 1200 pick). */
export function promptSpace(): Record<TaskKind, TaskPrompt[]> {
  return { add: addPrompts(), repeat: repeatPrompts(), pick: pickPrompts() };
}
