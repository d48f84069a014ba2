/**
 * The demo's synthetic instruction task: short prompts a model of ~0.1M parameters can learn on two
 * CPU cores, each with one correct answer that can be read off the prompt text itself, and three
 * response STYLES that the oracle (oracle.ts) ranks in a rock-paper-scissors cycle.
 *
 * Three kinds of prompt (all answers are one word, so correctness is exact):
 * - odd:    "Which is not a fruit: pear, owl or plum?" -> "owl"
 * - repeat: "Repeat the word plum."                    -> "plum"
 * - pick:   "Which is a fruit: plum or owl?"           -> "plum"
 *
 * Every kind's correctness is visible to a small encoder judge: a copy check (repeat) or a lookup of
 * a closed 30-word vocabulary's categories (pick, odd). An earlier `add` kind ("What is 3 plus 5?")
 * was dropped: the mini-PairRM judge could not check sums (66% correctness accuracy), so SPPO
 * optimised what the judge could see instead of correctness (packages/demo/README.md, issue 8).
 *
 * Three styles wrap an answer (lengths differ on purpose, so the report's mean-length column shows
 * whether the policy drifts toward long answers, the length bias the paper's Table 1 tracks):
 * - plain:  "owl."
 * - formal: "The answer is owl."
 * - warm:   "owl! Happy to help."
 */

export const STYLES = ['plain', 'formal', 'warm'] as const;
export type Style = (typeof STYLES)[number];

export const TASK_KINDS = ['odd', 'repeat', 'pick'] as const;
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

export interface TaskPrompt {
  prompt_id: string;
  prompt: string;
  kind: TaskKind;
  /** The one correct answer (a word). */
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
const ODD = /\bWhich is not an? (animal|color|fruit): ([a-z]+), ([a-z]+) or ([a-z]+)\?/;
const REPEAT = /\bRepeat the word ([a-z]+)\./;
const PICK = /\bWhich is an? (animal|color|fruit): ([a-z]+) or ([a-z]+)\?/;

/** The correct answer of a task prompt (raw or chat-templated), read from its text; else undefined. */
export function solvePrompt(prompt: string): string | undefined {
  const text = prompt;
  let m = ODD.exec(text);
  if (m) {
    const words: readonly string[] = CATEGORIES[m[1] as Category];
    const outsiders = [m[2], m[3], m[4]].filter((w): w is string => w !== undefined && !words.includes(w));
    return outsiders.length === 1 ? outsiders[0] : undefined;
  }
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

/** The words a task prompt offers (raw or chat-templated): its options, or the word to repeat; else none. */
export function listedWords(prompt: string): string[] {
  let m = ODD.exec(prompt);
  if (m) return [m[2], m[3], m[4]] as string[];
  m = REPEAT.exec(prompt);
  if (m) return [m[1] as string];
  m = PICK.exec(prompt);
  return m ? ([m[2], m[3]] as string[]) : [];
}

/**
 * "Which is not a fruit: pear, owl or plum?": two members of the category (in vocabulary order) and
 * one outsider at each of the three positions; 3 categories x 45 member pairs x 20 outsiders x 3.
 */
function oddPrompts(): TaskPrompt[] {
  const out: TaskPrompt[] = [];
  for (const category of CATEGORY_NAMES) {
    const members: readonly string[] = CATEGORIES[category];
    const others = ALL_WORDS.filter((w) => !members.includes(w));
    for (let i = 0; i < members.length; i++) {
      for (let j = i + 1; j < members.length; j++) {
        const [m1, m2] = [members[i] as string, members[j] as string];
        for (const no of others) {
          for (let position = 0; position < 3; position++) {
            const options = [m1, m2];
            options.splice(position, 0, no);
            out.push({
              prompt_id: `odd-${category}-${options.join('-')}`,
              prompt: `Which is not ${ARTICLE[category]} ${category}: ${options[0]}, ${options[1]} or ${options[2]}?`,
              kind: 'odd',
              answer: no,
              // The mistakes stay inside the category (a listed member first): wrong is then
              // exactly "a word of the named category", what the judge can look up.
              distractors: [...options.filter((w) => w !== no), ...members.filter((w) => w !== m1 && w !== m2)],
            });
          }
        }
      }
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
            // The other option is the natural mistake; a wilder one is any word OUTSIDE the named
            // category. Not another member of it: "pear" to "Which is a fruit: plum or owl?" is
            // wrong only by a copy check the small judge does badly, and SPPO drifted there.
            distractors: [no, ...others.filter((w) => w !== no)],
          });
        }
      }
    }
  }
  return out;
}

/** Every prompt of the task, grouped by kind, in a fixed order (8100 odd, 30 repeat, 1200 pick). */
export function promptSpace(): Record<TaskKind, TaskPrompt[]> {
  return { odd: oddPrompts(), repeat: repeatPrompts(), pick: pickPrompts() };
}
