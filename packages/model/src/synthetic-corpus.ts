/**
 * A deterministic pseudo-English corpus, so tokenizer training and tiny-model demos need no
 * download. Sentences are drawn from fixed word lists with a seeded PRNG; a few carry numbers,
 * punctuation and non-ASCII text so that byte-level merges see more than ASCII letters.
 */
import { createRng } from './rng.ts';

const SUBJECTS = ['the cat', 'a dog', 'my friend', 'the teacher', 'our team', 'this model', 'the user', 'a robot', 'the river', 'every student'];
const VERBS = ['likes', 'sees', 'writes', 'finds', 'answers', 'builds', 'reads', 'explains', 'helps', 'remembers'];
const OBJECTS = ['the answer', 'a long story', 'the question', 'some code', 'a small house', 'the red ball', 'three apples', 'the old map', 'a new idea', 'the green garden'];
const ENDINGS = ['today', 'again', 'quickly', 'with care', 'in the morning', 'after lunch', 'at home', 'every day', 'before noon', 'for fun'];
const EXTRAS = ['Café au lait costs 3.50 €.', 'Naïve façade, déjà vu!', 'Größe: 42 cm.', '東京は大きい。', 'Привет, мир.', 'x = 2 * (y + 1);', 'It\'s 10:30, isn\'t it?', 'Emoji time 🙂👍.'];

export interface SyntheticCorpusOptions {
  /** Number of documents (each a few sentences). */
  documents?: number;
  seed?: number;
}

export function syntheticCorpus({ documents = 1000, seed = 1 }: SyntheticCorpusOptions = {}): string[] {
  const rng = createRng(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rng.uniform() * list.length)] as T;
  const docs: string[] = [];
  for (let d = 0; d < documents; d++) {
    const sentences: string[] = [];
    const n = 2 + Math.floor(rng.uniform() * 4);
    for (let s = 0; s < n; s++) {
      const r = rng.uniform();
      if (r < 0.08) sentences.push(pick(EXTRAS));
      else {
        const text = `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(ENDINGS)}`;
        const end = r < 0.2 ? '?' : r < 0.25 ? '!' : '.';
        sentences.push(text[0]?.toUpperCase() + text.slice(1) + (r > 0.9 ? `, ${Math.floor(rng.uniform() * 1000)} times` : '') + end);
      }
    }
    docs.push(sentences.join(' '));
  }
  return docs;
}
