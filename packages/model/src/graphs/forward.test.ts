import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGraph } from '@sppo/autodiff';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { parseLlamaConfig } from '../config.ts';
import { parameterSpecs } from '../parameters.ts';
import { parameterShapes } from '../llama/params.ts';
import { positionIdsFromMask, referenceLogits, referenceSequenceLogps } from '../llama/reference.ts';
import { declareParams, llamaDecoder, positionIdsFromMaskGraph } from './decoder.ts';
import { buildGenerationModel, buildGenerationModelFiles } from './generation.ts';
import { buildLogprobGraph } from './sequence-logps.ts';
import {
  int64,
  maxAbsDiff,
  padBatch,
  paramFeeds,
  randomRows,
  randomWeights,
  runModel,
  tinyConfig,
  toFloat32,
  values,
} from './test-utils.ts';

const lengths: [number, number][] = [
  [3, 4],
  [5, 2],
  [1, 6],
];

describe('parameterShapes', () => {
  it('lists the same names, shapes and order as the checkpoint I/O (parameterSpecs)', () => {
    for (const extra of [{}, { tie_word_embeddings: true }, { attention_bias: true, num_key_value_heads: 1 }]) {
      const full = parseLlamaConfig({ model_type: 'llama', ...tinyConfig(extra) });
      expect(parameterShapes(full)).toEqual(parameterSpecs(full).map(({ name, shape }) => ({ name, shape })));
    }
  });

  it('rejects a head count that is not a multiple of the kv heads, naming both', () => {
    expect(() => parameterShapes(tinyConfig({ num_key_value_heads: 3 }))).toThrow(/num_attention_heads \(4\).*num_key_value_heads \(3\)/);
  });
});

describe('float64 ONNX forward against the plain-JS reference', () => {
  for (const [label, cfg] of [
    ['untied, GQA 4/2', tinyConfig()],
    ['tied, attention_bias, MQA 4/1', tinyConfig({ tie_word_embeddings: true, attention_bias: true, num_key_value_heads: 1 })],
    ['plain MHA 4/4, head_dim 6 != hidden/heads', tinyConfig({ num_key_value_heads: 4, head_dim: 6, rope_theta: 500 })],
  ] as const) {
    it(`logits of every position agree (${label})`, async () => {
      const weights = randomWeights(cfg, 3);
      const T = 8;
      for (const side of ['left', 'right'] as const) {
        const batch = padBatch(randomRows(cfg.vocab_size, lengths), T, { side });
        const g = createGraph({ name: 'fwd', floatType: 'float64' });
        const params = declareParams(g, cfg);
        const ids = g.input('input_ids', [3, T], 'int64');
        const mask = g.input('attention_mask', [3, T], 'int64');
        const { logits } = llamaDecoder(g, cfg, params, { inputIds: ids, attentionMask: mask, positionIds: positionIdsFromMaskGraph(g, mask) });
        g.output('logits', logits);
        const out = await runModel(g.toModel(), {
          ...paramFeeds(cfg, weights, 'float64'),
          input_ids: int64(batch.inputIds),
          attention_mask: int64(batch.attentionMask),
        });
        const ref = referenceLogits(cfg, weights, { inputIds: batch.inputIds, attentionMask: batch.attentionMask });
        const got = values(out.logits);
        const want = ref.flatMap((row) => row.flatMap((v) => Array.from(v)));
        expect(maxAbsDiff(got, want)).toBeLessThan(1e-11);
        // the logits are far from uniform, so the comparison has teeth
        expect(Math.max(...want) - Math.min(...want)).toBeGreaterThan(1);
      }
    });
  }

  it('log-prob graph (2) sums response-token log-probs like the reference, any padding', async () => {
    const cfg = tinyConfig({ tie_word_embeddings: true });
    const weights = randomWeights(cfg, 5);
    const T = 9;
    const model = buildLogprobGraph({ config: cfg, batchSize: 3, sequenceLength: T, floatType: 'float64' });
    for (const side of ['left', 'right'] as const) {
      const batch = padBatch(randomRows(cfg.vocab_size, lengths, 11), T, { side });
      const out = await runModel(model, {
        ...paramFeeds(cfg, weights, 'float64'),
        input_ids: int64(batch.inputIds),
        attention_mask: int64(batch.attentionMask),
        response_mask: int64(batch.responseMask),
      });
      const ref = referenceSequenceLogps(cfg, weights, batch);
      expect(maxAbsDiff(values(out.logps), ref.logps)).toBeLessThan(1e-11);
      expect(values(out.token_counts)).toEqual([4, 2, 6]);
      expect(ref.counts).toEqual([4, 2, 6]);
    }
  });
  it('an all-padding row (bucket filler) scores 0 over 0 tokens, without NaN', async () => {
    const cfg = tinyConfig();
    const weights = randomWeights(cfg, 6);
    const batch = padBatch([...randomRows(cfg.vocab_size, [[2, 3]], 4), { prompt: [], response: [] }], 6, { side: 'left' });
    const out = await runModel(buildLogprobGraph({ config: cfg, batchSize: 2, sequenceLength: 6 }), {
      ...paramFeeds(cfg, weights, 'float32'),
      input_ids: int64(batch.inputIds),
      attention_mask: int64(batch.attentionMask),
      response_mask: int64(batch.responseMask),
    });
    const logps = values(out.logps);
    expect(logps[1] === 0).toBe(true); // -0 from the masked sum is fine
    expect(values(out.token_counts)).toEqual([3, 0]);
    expect(Math.abs((logps[0] as number) - (referenceSequenceLogps(cfg, weights, batch).logps[0] as number))).toBeLessThan(1e-4);
  });
});

describe('generation model (1)', () => {
  const cfg = tinyConfig();
  const weights = randomWeights(cfg, 9);
  const T = 7;
  const batch = padBatch(randomRows(cfg.vocab_size, [[4, 3], [2, 1]], 13), T, { side: 'left' });
  const emptyPast = (): Record<string, ort.Tensor> => {
    const feeds: Record<string, ort.Tensor> = {};
    for (let i = 0; i < cfg.num_hidden_layers; i++) {
      for (const kind of ['key', 'value']) {
        feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [2, cfg.num_key_value_heads, 0, cfg.head_dim]);
      }
    }
    return feeds;
  };
  const feeds = (): Record<string, ort.Tensor> => ({
    input_ids: int64(batch.inputIds),
    attention_mask: int64(batch.attentionMask),
    position_ids: int64(positionIdsFromMask(batch.attentionMask)),
    ...emptyPast(),
  });
  const want = referenceLogits(cfg, weights, batch).flatMap((row) => row.flatMap((v) => Array.from(v)));

  it('declares the decoder-with-past contract transformers.js reads', async () => {
    const session = await ort.InferenceSession.create(buildGenerationModel(cfg, toFloat32(weights)));
    try {
      expect(session.inputNames).toEqual([
        'input_ids',
        'attention_mask',
        'position_ids',
        'past_key_values.0.key',
        'past_key_values.0.value',
        'past_key_values.1.key',
        'past_key_values.1.value',
      ]);
      expect(session.outputNames).toEqual(['logits', 'present.0.key', 'present.0.value', 'present.1.key', 'present.1.value']);
      const meta = session.inputMetadata.find((m) => m.name === 'past_key_values.0.key');
      expect(meta && meta.isTensor ? meta.shape : undefined).toEqual(['batch_size', 2, 'past_sequence_length', 4]);
      const out = await session.run(feeds());
      expect(out.logits?.dims).toEqual([2, T, cfg.vocab_size]);
      expect(out['present.1.value']?.dims).toEqual([2, 2, T, 4]);
      expect(maxAbsDiff(values(out.logits), want)).toBeLessThan(2e-4);
    } finally {
      await session.release();
    }
  });

  it('stores weights in model.onnx_data when asked and loads from a folder', async () => {
    const files = buildGenerationModelFiles(cfg, weights, { externalData: 'always' });
    expect(files.externalData?.fileName).toBe('model.onnx_data');
    const embedded = buildGenerationModel(cfg, weights);
    const weightBytes = (files.externalData?.chunks ?? []).reduce((n, c) => n + c.byteLength, 0);
    expect(weightBytes).toBe(4 * parameterShapes(cfg).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0));
    expect(embedded.length - files.model.length).toBeGreaterThan(0.9 * weightBytes); // the weights left the graph
    const dir = await mkdtemp(join(tmpdir(), 'sppo-gen-'));
    try {
      await writeFile(join(dir, 'model.onnx'), files.model);
      await writeFile(join(dir, 'model.onnx_data'), Buffer.concat(files.externalData?.chunks ?? []));
      const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
      const out = await session.run(feeds());
      await session.release();
      expect(maxAbsDiff(values(out.logits), want)).toBeLessThan(2e-4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('names missing or mis-sized weights', () => {
    const bad = new Map(weights);
    bad.delete('model.norm.weight');
    bad.set('lm_head.weight', new Float64Array(3));
    expect(() => buildGenerationModel(cfg, bad)).toThrow(/missing model\.norm\.weight[\s\S]*lm_head\.weight has 3 elements/);
  });
});
