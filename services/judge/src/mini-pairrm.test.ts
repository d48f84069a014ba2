// mini-PairRM (packages/model/src/pairwise, trained with our engine) learns an INTRANSITIVE
// preference: rock-paper-scissors among three response styles. It lives in the judge project
// because it is the judge's quality gate (and its time counts against the judge's test budget).
//
// No scalar Bradley-Terry reward can represent this preference: on every cyclic triple a reward
// ordering gets at most 2 of the 3 directions right. The test fits the best BT model (one reward
// per style, logistic regression on the training labels) and shows it cannot, while the learned
// pairwise judge gets all three directions of most triples right.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createRng,
  evaluatePairs,
  loadPairwiseJudge,
  parseJudgeTrainArgs,
  readPairwiseCheckpoint,
  RPS_STYLES,
  rpsOutcome,
  rpsResponse,
  rpsStyleOf,
  syntheticPreferencePairs,
  trainMiniPairRM,
  writePairwiseCheckpoint,
  type PairwiseJudge,
  type RpsStyle,
  type TrainedJudge,
} from '@sppo/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TRAIN_TIMEOUT = 240_000;
let trained: TrainedJudge;
let dir: string;
let judge: PairwiseJudge;

beforeAll(async () => {
  const pairs = syntheticPreferencePairs({ task: 'rps', count: 1000, seed: 11 });
  const args = parseJudgeTrainArgs({ max_steps: 300, eval_ratio: 0.2, vocab_size: 300 });
  trained = await trainMiniPairRM({ pairs, args });
  dir = await mkdtemp(join(tmpdir(), 'sppo-mini-pairrm-'));
  await writePairwiseCheckpoint(join(dir, 'judge'), { config: trained.config, weights: trained.weights, tokenizer: trained.tokenizer, metrics: trained.metrics, trainingArgs: args });
  judge = await loadPairwiseJudge(join(dir, 'judge'), { thread: 'main' });
}, TRAIN_TIMEOUT);
afterAll(async () => {
  await judge?.close?.();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Fresh cyclic triples: one response per style for new prompts. */
function cyclicTriples(count: number, seed: number): { prompt: string; byStyle: Record<RpsStyle, string> }[] {
  const rng = createRng(seed);
  return Array.from({ length: count }, (_, i) => ({
    prompt: `new prompt number ${i}?`,
    byStyle: Object.fromEntries(RPS_STYLES.map((s) => [s, rpsResponse(rng, s)])) as Record<RpsStyle, string>,
  }));
}

/** The best scalar reward per style (Bradley-Terry logistic regression, gradient descent). */
function fitBradleyTerry(pairs: { responseA: string; responseB: string; probability: number }[]): Record<RpsStyle, number> {
  const r: Record<RpsStyle, number> = { rock: 0, paper: 0, scissors: 0 };
  for (let iter = 0; iter < 2000; iter++) {
    const grad: Record<RpsStyle, number> = { rock: 0, paper: 0, scissors: 0 };
    for (const p of pairs) {
      const a = rpsStyleOf(p.responseA) as RpsStyle;
      const b = rpsStyleOf(p.responseB) as RpsStyle;
      const q = 1 / (1 + Math.exp(-(r[a] - r[b])));
      grad[a] += q - p.probability;
      grad[b] -= q - p.probability;
    }
    for (const s of RPS_STYLES) r[s] -= (0.5 * grad[s]) / pairs.length;
  }
  return r;
}

describe('mini-PairRM on rock-paper-scissors (intransitive)', () => {
  it('reaches held-out accuracy far above chance, reported in its metrics', async () => {
    console.log('mini-PairRM rps metrics', JSON.stringify(trained.metrics));
    expect(trained.evalPairs.length).toBe(200);
    expect(trained.metrics['eval/accuracy']).toBeGreaterThan(0.85);
    expect(trained.metrics['eval/accuracy_single_order']).toBeGreaterThan(0.8);
    const loss = trained.logHistory.map((e) => e['loss'] as number);
    expect(loss.at(-1)!).toBeLessThan(loss[0]! - 0.3);
    // The checkpoint folder's metrics.json has them too, and the loaded judge scores the same.
    const saved = JSON.parse(await readFile(join(dir, 'judge', 'metrics.json'), 'utf8')) as Record<string, number>;
    expect(saved['eval/accuracy']).toBe(trained.metrics['eval/accuracy']);
    const again = await evaluatePairs(judge, trained.evalPairs);
    expect(again.accuracy).toBeCloseTo(trained.metrics['eval/accuracy']!, 10);
  });

  it('gets all three directions of cyclic triples right, which no scalar (Bradley-Terry) reward can', async () => {
    const triples = cyclicTriples(60, 99);
    const cycle: [RpsStyle, RpsStyle][] = [['paper', 'rock'], ['rock', 'scissors'], ['scissors', 'paper']];
    const batch = triples.flatMap((t) => cycle.flatMap(([w, l]) => [
      { prompt: t.prompt, candidate1: t.byStyle[w], candidate2: t.byStyle[l] },
      { prompt: t.prompt, candidate1: t.byStyle[l], candidate2: t.byStyle[w] },
    ]));
    const z = await judge.compare(batch);
    // Position-debiased decision per direction: C[w][l] - C[l][w] > 0.
    const allThree = triples.filter((_, i) => cycle.every((_, d) => z[6 * i + 2 * d]! - z[6 * i + 2 * d + 1]! > 0)).length / triples.length;

    const bt = fitBradleyTerry(syntheticPreferencePairs({ task: 'rps', count: 1000, seed: 11 }));
    const btAllThree = cycle.every(([w, l]) => bt[w] > bt[l]);
    const btPairAccuracy = cycle.filter(([w, l]) => bt[w] > bt[l]).length / 3;
    console.log(`cyclic triples with all 3 directions right: judge ${allThree.toFixed(3)}, best BT fit ${btAllThree ? 1 : 0} (BT rewards ${JSON.stringify(bt)}, BT pair accuracy ${btPairAccuracy.toFixed(3)})`);
    expect(btAllThree).toBe(false); // r_paper > r_rock > r_scissors > r_paper is impossible
    expect(btPairAccuracy).toBeLessThanOrEqual(2 / 3);
    expect(allThree).toBeGreaterThan(0.6); // chance: 1/8
    expect(rpsOutcome('paper', 'rock')).toBe(1);
  });

  it('the checkpoint reads back for further training', async () => {
    const back = await readPairwiseCheckpoint(join(dir, 'judge'));
    expect(back.config).toEqual(trained.config);
    for (const [name, w] of trained.weights) expect(back.weights.get(name)).toEqual(w);
    expect(back.tokenizer.encode('rock paper', { addSpecialTokens: false })).toEqual(trained.tokenizer.encode('rock paper', { addSpecialTokens: false }));
  });
});
