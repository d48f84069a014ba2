/**
 * Synthetic preference pairs the project generates itself (no download), for judge-train demos,
 * tests and the benchmark:
 * - 'rps': each response is written in one of three styles (rock / paper / scissors: the style word
 *   among words of that style's vocabulary, so rpsStyleOf recognises it) and the label follows paper > rock > scissors > paper: an intransitive preference that no scalar
 *   (Bradley-Terry) reward represents;
 * - 'length': the longer response wins (transitive).
 */
import { createRng } from '../rng.ts';
import type { PreferencePair } from './pairs.ts';
import { RPS_STYLES, rpsOutcome, type RpsStyle } from './rule-judges.ts';

const WORDS = ['the', 'cat', 'likes', 'a', 'long', 'story', 'today', 'with', 'care', 'my', 'friend', 'reads', 'some', 'code', 'again', 'every', 'day', 'small', 'house', 'red', 'ball', 'answer', 'question', 'idea'];

export type SyntheticTask = 'rps' | 'length';

export interface SyntheticPairsOptions {
  task: SyntheticTask;
  count: number;
  seed?: number;
}

export function syntheticSentence(rng: { uniform(): number }, minWords: number, maxWords: number): string[] {
  const n = minWords + Math.floor(rng.uniform() * (maxWords - minWords + 1));
  return Array.from({ length: n }, () => WORDS[Math.floor(rng.uniform() * WORDS.length)] as string);
}

/** Each style has its own vocabulary, so a style shows in every word of a response. */
const STYLE_WORDS: Record<RpsStyle, readonly string[]> = {
  rock: ['stone', 'granite', 'boulder', 'pebble', 'solid', 'heavy', 'gravel', 'cliff'],
  paper: ['sheet', 'page', 'letter', 'note', 'folded', 'thin', 'paperback', 'scroll'],
  scissors: ['blade', 'sharp', 'cut', 'snip', 'edge', 'trim', 'shears', 'slice'],
};

/** A response of the given style: its style word once, at a random place among 3-6 words of its vocabulary. */
export function rpsResponse(rng: { uniform(): number }, style: RpsStyle): string {
  const vocab = STYLE_WORDS[style];
  const words = Array.from({ length: 3 + Math.floor(rng.uniform() * 4) }, () => vocab[Math.floor(rng.uniform() * vocab.length)] as string);
  words.splice(Math.floor(rng.uniform() * (words.length + 1)), 0, style);
  return words.join(' ');
}

export function syntheticPreferencePairs({ task, count, seed = 1 }: SyntheticPairsOptions): PreferencePair[] {
  const rng = createRng(seed);
  const pairs: PreferencePair[] = [];
  while (pairs.length < count) {
    const prompt = syntheticSentence(rng, 2, 6).join(' ') + '?';
    if (task === 'rps') {
      const a = RPS_STYLES[Math.floor(rng.uniform() * 3)] as RpsStyle;
      const b = RPS_STYLES[Math.floor(rng.uniform() * 3)] as RpsStyle;
      if (a === b) continue; // a tie carries no label
      pairs.push({ prompt, responseA: rpsResponse(rng, a), responseB: rpsResponse(rng, b), probability: rpsOutcome(a, b) > 0 ? 1 : 0 });
    } else if (task === 'length') {
      const a = syntheticSentence(rng, 1, 12).join(' ');
      const b = syntheticSentence(rng, 1, 12).join(' ');
      if (a.length === b.length) continue;
      pairs.push({ prompt, responseA: a, responseB: b, probability: a.length > b.length ? 1 : 0 });
    } else {
      throw new Error(`unknown synthetic task ${JSON.stringify(task)}: use 'rps' or 'length'`);
    }
  }
  return pairs;
}
