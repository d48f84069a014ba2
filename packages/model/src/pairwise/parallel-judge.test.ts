// The replicated judge (runner-pool.ts) against one session: same batches, so bit-identical logits,
// each at its input position, however the batches were spread over the replicas.
import { afterAll, describe, expect, it } from 'vitest';
import { createTokenizer } from '../tokenizer.ts';
import { JUDGE_SPECIAL_TOKENS, trainBpeTokenizer } from '../tokenizer-train.ts';
import { miniPairRMConfig } from './config.ts';
import { createOnnxPairwiseJudge } from './onnx-judge.ts';
import { buildPairwiseModel } from './onnx-model.ts';
import { resolvePairRMTokens } from './inputs.ts';
import { defaultJudgeReplicas } from './runner-pool.ts';
import type { PairwiseJudge } from './types.ts';
import { initPairwiseWeights } from './weights.ts';

const corpus = ['the cat likes rock and paper', 'scissors cut the sheet', 'a dog runs after the red ball in the park'];
const trained = trainBpeTokenizer({ corpus, vocabSize: 300, extraSpecialTokens: JUDGE_SPECIAL_TOKENS });
const tokenizer = createTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
const config = miniPairRMConfig({ vocabSize: tokenizer.vocabSize, tokenIds: resolvePairRMTokens(tokenizer).ids, hiddenSize: 16, intermediateSize: 24, numAttentionHeads: 2, numHiddenLayers: 2, initializerRange: 0.4 });
const model = buildPairwiseModel(config, initPairwiseWeights(config, { seed: 11 }));
// Many lengths and prompts, so the plan has many batches and the replicas interleave.
const words = corpus.join(' ').split(' ');
const text = (n: number, at: number): string => Array.from({ length: n }, (_, i) => words[(at + i * 3) % words.length]).join(' ');
const examples = Array.from({ length: 23 }, (_, i) => ({ prompt: text(1 + (i % 4), i), candidate1: text(1 + ((i * 7) % 13), i + 1), candidate2: text(1 + ((i * 5) % 11), i + 2) }));
const judges: PairwiseJudge[] = [];
afterAll(async () => {
  await Promise.all(judges.map((j) => j.close?.()));
});

async function judge(options: Parameters<typeof createOnnxPairwiseJudge>[1]): Promise<PairwiseJudge> {
  const j = await createOnnxPairwiseJudge({ model, tokenizer }, { maxSourceTokens: 16, maxCandidateTokens: 12, ...options });
  judges.push(j);
  return j;
}

describe('replicated ONNX pairwise judge', () => {
  it('returns exactly the logits of a single session, in input order', async () => {
    const single = await (await judge({ replicas: 1, batchSize: 2, thread: 'main', intraOpNumThreads: 1 })).compare(examples);
    const parallel = await judge({ replicas: 3, batchSize: 2 });
    expect(await parallel.compare(examples)).toEqual(single);
    // Reversed input: each logit follows its pair.
    expect(await parallel.compare([...examples].reverse())).toEqual([...single].reverse());
    // A call smaller than the replica count, and the official one-pair-per-forward setting.
    expect(await parallel.compare(examples.slice(5, 6))).toEqual(single.slice(5, 6));
    const official = await (await judge({ replicas: 1, batchSize: 1, thread: 'main' })).compare(examples);
    official.forEach((z, i) => expect(Math.abs(z - single[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(z))));
    expect(new Set(single.map((z) => z.toFixed(5))).size).toBeGreaterThan(15);
  });

  it('defaults to one replica per core on the CPU and one on an accelerator', () => {
    expect(defaultJudgeReplicas('cpu')).toBeGreaterThanOrEqual(1);
    expect(defaultJudgeReplicas('cuda')).toBe(1);
  });

  it('rejects a bad replica count with the valid values', async () => {
    await expect(createOnnxPairwiseJudge({ model, tokenizer }, { replicas: 0 })).rejects.toThrow(/replicas must be an integer >= 1/);
  });
});
