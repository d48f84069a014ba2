// The ONNX pairwise model against plain-JS references: PairRM's head, and the whole mini-PairRM
// forward (float64 graph to round-off; the float32 pairwise.onnx judge to float32 accuracy).
import { createSession, toOrt, type TensorData } from '@sppo/autodiff';
import { describe, expect, it } from 'vitest';
import { createTokenizer } from '../tokenizer.ts';
import { JUDGE_SPECIAL_TOKENS, trainBpeTokenizer } from '../tokenizer-train.ts';
import { miniPairRMConfig, pairwiseParameterShapes } from './config.ts';
import { createOnnxPairwiseJudge, defaultMaxBatchAttention, planBatches } from './onnx-judge.ts';
import { buildPairwiseGraph, buildPairwiseModel } from './onnx-model.ts';
import { collatePairwiseInputs, createPairRMInputBuilder, resolvePairRMTokens, type PairwiseInput } from './inputs.ts';
import { referenceEncoder, referencePairwiseHead, referencePairwiseLogit } from './reference.ts';
import { initPairwiseWeights, parsePairwiseWeights, serializePairwiseWeights } from './weights.ts';
import { createGraph } from '@sppo/autodiff';
import { declarePairwiseParams, pairwiseHead } from './encoder.ts';

const trained = trainBpeTokenizer({ corpus: ['the cat likes rock and paper', 'scissors cut the sheet'], vocabSize: 300, extraSpecialTokens: JUDGE_SPECIAL_TOKENS });
const tokenizer = createTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
const tokens = resolvePairRMTokens(tokenizer);
const config = miniPairRMConfig({
  vocabSize: tokenizer.vocabSize,
  tokenIds: tokens.ids,
  hiddenSize: 16,
  intermediateSize: 24,
  numAttentionHeads: 2,
  numHiddenLayers: 2,
  maxSourceTokens: 16,
  maxCandidateTokens: 12,
  initializerRange: 0.4, // large, so attention is far from uniform and every term matters
});
const weights = initPairwiseWeights(config, { seed: 7 });
for (const [name, w] of weights) if (name.endsWith('.bias')) w.forEach((_, i) => (w[i] = 0.1 * Math.sin(i + 1)));
const builder = createPairRMInputBuilder({ tokenizer, tokens, maxSourceTokens: 16, maxCandidateTokens: 12 });
const examples = [
  { prompt: 'the cat likes', candidate1: 'rock and paper', candidate2: 'scissors cut the sheet and more and more words to cut' },
  { prompt: 'x', candidate1: 'paper', candidate2: 'rock' },
  { prompt: 'scissors cut the sheet', candidate1: 'the cat', candidate2: 'the cat likes rock' },
];

function paramFeeds(dtype: 'float32' | 'float64'): Record<string, TensorData> {
  const feeds: Record<string, TensorData> = {};
  for (const { name, shape } of pairwiseParameterShapes(config)) {
    const w = weights.get(name) as Float32Array;
    feeds[name] = { dtype, dims: shape, data: dtype === 'float64' ? Float64Array.from(w) : w };
  }
  return feeds;
}

describe('PairRM head', () => {
  it('the graph head equals MLP([h_src; h_c1]) - MLP([h_src; h_c2]) in plain JS', async () => {
    const H = config.hidden_size;
    const g = createGraph({ name: 'head', floatType: 'float64' });
    const p = declarePairwiseParams(g, config);
    const [a, b, c] = ['h_src', 'h_c1', 'h_c2'].map((n) => g.input(n, [2, H]));
    g.output('logits', pairwiseHead(g, p, a!, b!, c!));
    const session = await createSession(g.toModel());
    const rows = [0, 1, 2].map((k) => Array.from({ length: 2 * H }, (_, i) => Math.cos(3 * k + i)));
    const feeds = Object.fromEntries(Object.entries(paramFeeds('float64')).map(([k, v]) => [k, toOrt(v)]));
    ['h_src', 'h_c1', 'h_c2'].forEach((n, k) => (feeds[n] = toOrt({ dtype: 'float64', dims: [2, H], data: Float64Array.from(rows[k]!) })));
    const out = (await session.run(feeds))['logits']!.data as Float64Array;
    for (let r = 0; r < 2; r++) {
      const at = (k: number) => rows[k]!.slice(r * H, (r + 1) * H);
      expect(out[r]).toBeCloseTo(referencePairwiseHead(weights, at(0), at(1), at(2)), 12);
    }
    expect(Math.abs(out[0]!)).toBeGreaterThan(1e-3);
  });
});

describe('mini-PairRM forward', () => {
  const inputs = builder.buildBatch(examples);

  it('float64 ONNX graph = plain-JS reference (padded batch, bidirectional attention)', async () => {
    const batch = collatePairwiseInputs(inputs, { padId: tokens.ids.pad, seqLen: 48 });
    const session = await createSession(buildPairwiseGraph(config, { floatType: 'float64' }));
    const feeds = Object.fromEntries(Object.entries(paramFeeds('float64')).map(([k, v]) => [k, toOrt(v)]));
    feeds['input_ids'] = toOrt({ dtype: 'int64', dims: [3, 48], data: batch.inputIds });
    feeds['attention_mask'] = toOrt({ dtype: 'int64', dims: [3, 48], data: batch.attentionMask });
    const out = (await session.run(feeds))['logits']!.data as Float64Array;
    inputs.forEach((x, r) => {
      const ref = referencePairwiseLogit(config, weights, x.inputIds, x.inputIds.map(() => 1));
      expect(Math.abs((out[r] as number) - ref)).toBeLessThan(1e-10);
    });
    expect(new Set([...out].map((v) => v.toFixed(6))).size).toBe(3);
  });

  it('is bidirectional: a token late in candidate 2 changes the state at <|candidate1|>', () => {
    const a = builder.build({ prompt: 'x', candidate1: 'paper', candidate2: 'rock' });
    const b = builder.build({ prompt: 'x', candidate1: 'paper', candidate2: 'rock rock' });
    const ha = referenceEncoder(config, weights, a.inputIds, a.inputIds.map(() => 1))[a.candidate1Index]!;
    const hb = referenceEncoder(config, weights, b.inputIds, b.inputIds.map(() => 1))[b.candidate1Index]!;
    expect(Math.max(...ha.map((v, i) => Math.abs(v - hb[i]!)))).toBeGreaterThan(1e-3);
  });

  it('the float32 pairwise.onnx judge matches the reference, batched or one pair at a time, on both threads and on 2 replicas', async () => {
    const model = buildPairwiseModel(config, weights);
    const refs = inputs.map((x) => referencePairwiseLogit(config, weights, x.inputIds, x.inputIds.map(() => 1)));
    for (const [batchSize, thread, replicas] of [[32, 'worker', 1], [1, 'main', 1], [2, 'main', 1], [1, 'main', 2]] as const) {
      const judge = await createOnnxPairwiseJudge({ model, tokenizer }, { maxSourceTokens: 16, maxCandidateTokens: 12, batchSize, thread, replicas });
      const logits = await judge.compare(examples);
      await judge.close?.();
      logits.forEach((z, i) => expect(Math.abs(z - refs[i]!)).toBeLessThan(1e-4 * Math.max(1, Math.abs(refs[i]!))));
    }
  });

  it('runs identical rows once and hands every duplicate the same logit', async () => {
    const model = buildPairwiseModel(config, weights);
    const judge = await createOnnxPairwiseJudge({ model, tokenizer }, { maxSourceTokens: 16, maxCandidateTokens: 12, thread: 'main', replicas: 1 });
    const repeated = [examples[0]!, examples[1]!, examples[0]!, examples[0]!, examples[1]!];
    const logits = await judge.compare(repeated);
    const alone = await judge.compare([examples[0]!, examples[1]!]);
    await judge.close?.();
    expect(logits).toEqual([alone[0], alone[1], alone[0], alone[0], alone[1]]);
    expect(judge.stats).toEqual({ comparisons: 7, rowsRun: 4 });
  });

  it('safetensors round trip keeps every weight', () => {
    const back = parsePairwiseWeights(config, serializePairwiseWeights(config, weights));
    for (const [name, w] of weights) expect(back.get(name)).toEqual(w);
  });
});

describe('planBatches', () => {
  const lens = [5, 40, 7, 6, 41, 8];
  const inputs: PairwiseInput[] = lens.map((n) => ({ inputIds: new Array<number>(n).fill(1), sourceIndex: 0, candidate1Index: 0, candidate2Index: 0 }));

  it('sorts by length and cuts chunks by rows and padded tokens', () => {
    expect(planBatches(inputs, { batchSize: 3, maxBatchTokens: 1000 })).toEqual([[0, 3, 2], [5, 1, 4]]);
    expect(planBatches(inputs, { batchSize: 8, maxBatchTokens: 80 })).toEqual([[0, 3, 2, 5], [1], [4]]);
    expect(planBatches(inputs, { batchSize: 1, maxBatchTokens: 80 })).toHaveLength(6);
  });

  it('sizes the default attention cap by hidden size on the CPU, and leaves accelerators uncapped', () => {
    expect(defaultMaxBatchAttention('cpu', 32)).toBe(262_144);
    expect(defaultMaxBatchAttention('cpu', 128)).toBe(65_536);
    expect(defaultMaxBatchAttention('cpu')).toBe(65_536);
    expect(defaultMaxBatchAttention('cuda', 128)).toBe(Infinity);
  });

  it('caps rows x T^2 (attention size), never below one row', () => {
    // 3 x 7^2 = 147 fits 150, 4 x 8^2 does not; 40^2 > 150 alone still makes a chunk.
    expect(planBatches(inputs, { batchSize: 8, maxBatchTokens: 1000, maxBatchAttention: 150 })).toEqual([[0, 3, 2], [5], [1], [4]]);
  });
});
