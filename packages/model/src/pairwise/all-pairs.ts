/**
 * PairRM's `_full_predict` (SPPO-REFERENCE 3.4): every ORDERED pair (i, j), i != j, is compared,
 * so K responses cost K(K-1) comparisons per prompt. Here all pairs of ALL prompts go to the judge
 * in one call, so a batching judge can fill its batches across prompts (the official setting runs
 * them one at a time, batch size 1).
 */
import type { PairwiseExample, PairwiseJudge } from './types.ts';

export interface PromptResponses {
  prompt: string;
  responses: readonly string[];
}

/** The ordered pairs of K responses, row-major: (0,1), (0,2), ..., (1,0), (1,2), ... */
export function orderedPairs(k: number): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (i !== j) pairs.push([i, j]);
  return pairs;
}

/**
 * The K x K logit matrix C of every item (C[i][j]: response i as candidate1 against response j as
 * candidate2; diagonal 0, unused), from a single `judge.compare` call over all items' pairs.
 */
export async function compareAllPairs(judge: PairwiseJudge, items: readonly PromptResponses[]): Promise<number[][][]> {
  const batch: PairwiseExample[] = [];
  for (const { prompt, responses } of items) {
    for (const [i, j] of orderedPairs(responses.length)) batch.push({ prompt, candidate1: responses[i] as string, candidate2: responses[j] as string });
  }
  const logits = batch.length === 0 ? [] : await judge.compare(batch);
  if (logits.length !== batch.length) {
    throw new Error(`judge ${judge.name} returned ${logits.length} logits for ${batch.length} comparisons; a judge must return one logit per pair`);
  }
  let at = 0;
  return items.map(({ responses }) => {
    const k = responses.length;
    const c = Array.from({ length: k }, () => new Array<number>(k).fill(0));
    for (const [i, j] of orderedPairs(k)) (c[i] as number[])[j] = logits[at++] as number;
    return c;
  });
}
