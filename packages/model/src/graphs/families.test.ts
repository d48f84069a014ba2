/**
 * Every supported family (and every rope type) on a tiny config, through the one decoder:
 * - the float64 log-prob graph (2) equals the plain float64 reference (llama/reference.ts);
 * - the training graphs' SFT and every preference loss equal packages/core's references computed
 *   from the reference's log-probs;
 * - the float32 log-prob graph (2) equals the KV-cache decoder (1) run token by token;
 * - the whole-model gradient equals central finite differences in float64;
 * - the family's switches really change the output (a test that cannot pass by ignoring them).
 * Sliding windows are smaller than the sequences, soft-caps small enough to bend the scores.
 */
import { checkGradients, createGraph, type DType, type GraphBuilder, type Tensor } from '@sppo/autodiff';
import { batchPreferenceLossReference } from '@sppo/core';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseLlamaConfig, type LlamaConfig } from '../config.ts';
import { BASE, FAMILY_CONFIGS } from './family-test-configs.ts';
import { architectureOf } from '../llama/architecture.ts';
import { parameterShapes } from '../llama/params.ts';
import { referenceSequenceLogps } from '../llama/reference.ts';
import { buildGenerationModel } from './generation.ts';
import { declareParams } from './decoder.ts';
import { PREFERENCE_LOSS_TYPES, preferenceLoss, sftLoss } from './losses.ts';
import { buildLogprobGraph, declareTokenBatch, type TokenBatch } from './sequence-logps.ts';
import {
  floats,
  int64,
  logpsThroughCache,
  maxAbsDiff,
  padBatch,
  paramFeeds,
  preferenceFixture,
  randomRows,
  randomWeights,
  roundToFloat32,
  runModel,
  toFloat32,
  values,
  type PaddedBatch,
} from './test-utils.ts';

/** Rows of different lengths, longer than the windows and than the dynamic rope's max positions. */
const LENGTHS: [number, number][] = [[2, 6], [4, 3], [1, 5]];
const T = 9;

async function graphLogps(cfg: LlamaConfig, weights: Map<string, Float64Array>, batch: PaddedBatch, floatType: 'float32' | 'float64'): Promise<number[]> {
  const model = buildLogprobGraph({ config: cfg, batchSize: batch.inputIds.length, sequenceLength: batch.inputIds[0]?.length ?? 0, floatType });
  const out = await runModel(model, {
    ...paramFeeds(cfg, weights, floatType),
    input_ids: int64(batch.inputIds),
    attention_mask: int64(batch.attentionMask),
    response_mask: int64(batch.responseMask),
  });
  return values(out.logps);
}

/** Response log-probs through the generation model (1): a prefill of `prefill` columns, then one token a step. */
async function cachedLogps(cfg: LlamaConfig, weights: Map<string, Float64Array>, batch: PaddedBatch, prefill: number): Promise<number[]> {
  const session = await ort.InferenceSession.create(buildGenerationModel(cfg, toFloat32(weights)), { intraOpNumThreads: 1 });
  try {
    return await logpsThroughCache(session, cfg, batch, prefill);
  } finally {
    await session.release();
  }
}

describe('model families: one decoder, every switch', () => {
  for (const [label, cfg] of Object.entries(FAMILY_CONFIGS)) {
    describe(label, () => {
      const weights = randomWeights(cfg, 17);

      it('float64 log-prob graph = plain float64 reference, left and right padding', async () => {
        for (const side of ['left', 'right'] as const) {
          const batch = padBatch(randomRows(cfg.vocab_size, LENGTHS, 23), T, { side });
          const got = await graphLogps(cfg, weights, batch, 'float64');
          const want = referenceSequenceLogps(cfg, weights, batch).logps;
          expect(maxAbsDiff(got, want)).toBeLessThan(1e-10);
          expect(Math.min(...want)).toBeLessThan(-1);
        }
      });

      // Dynamic NTK recomputes the frequencies from the longest position of each run, so a step of
      // the cache sees other frequencies than one full pass once past max_position_embeddings (as
      // in HF); its agreement is checked within max_position_embeddings.
      const dynamic = architectureOf(cfg).rope.dynamic !== null;
      it(`float32 log-prob graph = KV-cache decoder token by token${dynamic ? ' (within max_position_embeddings)' : ''}`, async () => {
        const lengths: [number, number][] = dynamic ? [[1, 3], [2, 2]] : LENGTHS;
        const rows = randomRows(cfg.vocab_size, lengths, 29);
        const batch = padBatch(rows, dynamic ? 4 : T, { side: 'left' });
        const w32 = roundToFloat32(weights);
        const full = await graphLogps(cfg, w32, batch, 'float32');
        const cached = dynamic ? await cachedLogpsShort(cfg, w32, batch) : await cachedLogps(cfg, w32, batch, 3);
        full.forEach((v, i) => expect(Math.abs(v - (cached[i] as number))).toBeLessThan(3e-5 * Math.max(1, Math.abs(v))));
      });

      it('training graphs: SFT and every preference loss = packages/core references on the float64 reference log-probs', async () => {
        // 2 pairs: rows 0-1 chosen, rows 2-3 rejected (TRL's concatenated batch), left padded.
        const batch = padBatch(randomRows(cfg.vocab_size, [[3, 5], [2, 4], [3, 3], [2, 6]], 37), T, { side: 'left' });
        const ref = referenceSequenceLogps(cfg, weights, batch);
        const policy = ref.logps;
        const { refChosen, refRejected, probs, examples } = preferenceFixture(policy);
        const g = createGraph({ name: 'family_losses', floatType: 'float64' });
        const p = declareParams(g, cfg);
        const tb = declareTokenBatch(g, 4, T);
        const input = (name: string): Tensor => g.input(name, [2], 'float64');
        const extras = {
          referenceChosenLogps: input('reference_chosen_logps'),
          referenceRejectedLogps: input('reference_rejected_logps'),
          chosenProbs: input('chosen_probs'),
          chosenProbsWin: input('chosen_probs_win'),
          chosenProbsLose: input('chosen_probs_lose'),
        };
        g.output('sft', sftLoss(g, cfg, p, tb).loss);
        for (const lossType of PREFERENCE_LOSS_TYPES) g.output(lossType, preferenceLoss(g, cfg, p, tb, extras, { lossType, beta: 0.1 }).loss);
        const out = await runModel(g.toModel(), {
          ...paramFeeds(cfg, weights, 'float64'),
          input_ids: int64(batch.inputIds),
          attention_mask: int64(batch.attentionMask),
          response_mask: int64(batch.responseMask),
          reference_chosen_logps: floats(refChosen, 'float64'),
          reference_rejected_logps: floats(refRejected, 'float64'),
          ...Object.fromEntries(Object.entries(probs).map(([k, v]) => [k, floats(v, 'float64')])),
        });
        const close = (got: number, want: number): void => expect(Math.abs(got - want)).toBeLessThan(1e-9 * Math.max(1, Math.abs(want)));
        // SFT: mean negative log-likelihood over every response token of the batch.
        close(values(out.sft)[0] as number, -policy.reduce((a, b) => a + b, 0) / ref.counts.reduce((a, b) => a + b, 0));
        for (const lossType of PREFERENCE_LOSS_TYPES) close(values(out[lossType])[0] as number, batchPreferenceLossReference(lossType, examples, { beta: 0.1 }));
      });

      it('whole-model gradient = central finite differences (float64)', async () => {
        const small = parseLlamaConfig({ ...cfg, vocab_size: 11, hidden_size: 8, intermediate_size: 12, head_dim: 4 });
        const w = randomWeights(small, 3, 0.5);
        const params = Object.fromEntries(parameterShapes(small).map(({ name, shape }) => [name, { shape, values: w.get(name) as Float64Array }]));
        const b = padBatch(randomRows(small.vocab_size, [[1, 4], [2, 3]], 5), 6, { side: 'left' });
        const ints = (m: number[][]) => ({ shape: [2, 6], dtype: 'int64' as DType, values: m.flat() });
        const report = await checkGradients({
          build: (g: GraphBuilder, p, d) => sftLoss(g, small, p, tokenBatch(d)).loss,
          params,
          data: { input_ids: ints(b.inputIds), attention_mask: ints(b.attentionMask), response_mask: ints(b.responseMask) },
          gatherGradient: 'scatter',
        });
        expect(report.maxError, JSON.stringify(report.perParam)).toBeLessThan(1e-6);
      });
    });
  }

  it("each family's switches change the log-probs (the same weights under the llama switches differ)", async () => {
    const batch = padBatch(randomRows(BASE.vocab_size, LENGTHS, 31), T, { side: 'right' });
    for (const [label, cfg] of Object.entries(FAMILY_CONFIGS)) {
      const weights = randomWeights(cfg, 17);
      const plain: LlamaConfig = { ...cfg, model_type: 'llama', mlp_bias: cfg.mlp_bias ?? false };
      for (const key of ['rope_scaling', 'sliding_window', 'layer_types', 'attn_logit_softcapping', 'final_logit_softcapping', 'query_pre_attn_scalar'] as const) delete plain[key];
      // Feed only what the plain llama declares (the family's extra norms and biases drop out).
      const plainWeights = new Map([...weights].filter(([name]) => parameterShapes(plain).some((p) => p.name === name)));
      const a = referenceSequenceLogps(cfg, weights, batch).logps;
      const b = referenceSequenceLogps(plain, plainWeights, batch).logps;
      expect(maxAbsDiff(a, b), label).toBeGreaterThan(1e-3);
    }
  });
});

/** The dynamic-rope case: a prefill of 2 columns then one token a step, all within max positions. */
async function cachedLogpsShort(cfg: LlamaConfig, weights: Map<string, Float64Array>, batch: PaddedBatch): Promise<number[]> {
  const width = batch.inputIds[0]?.length ?? 0;
  const padded: PaddedBatch = {
    inputIds: batch.inputIds.map((r) => [...r, ...new Array<number>(T - width).fill(0)]),
    attentionMask: batch.attentionMask.map((r) => [...r, ...new Array<number>(T - width).fill(0)]),
    responseMask: batch.responseMask.map((r) => [...r, ...new Array<number>(T - width).fill(0)]),
  };
  // Right padding after the real tokens is never scored and never attended by them.
  return cachedLogps(cfg, weights, padded, 2);
}

const tokenBatch = (d: Record<string, Tensor>): TokenBatch => ({
  inputIds: d.input_ids as Tensor,
  attentionMask: d.attention_mask as Tensor,
  responseMask: d.response_mask as Tensor,
});
