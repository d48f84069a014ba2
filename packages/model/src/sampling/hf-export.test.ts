/**
 * A decoder-with-past model laid out like an HF export (optimum / transformers.js): the graph in
 * onnx/model.onnx with its weights in onnx/model.onnx_data (ONNX external data), NO position_ids
 * input (positions come from the attention mask inside the graph) and optimum's merged-decoder
 * `use_cache_branch` flag. The sampler must find it, feed only what it declares, and decode
 * exactly like our own checkpoint's model.onnx with the same weights.
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraph } from '@sppo/autodiff';
import { readCheckpoint } from '../checkpoint.ts';
import { attachWeights } from '../graphs/onnx-weights.ts';
import { declareParams, llamaDecoder, positionIdsFromMaskGraph } from '../graphs/decoder.ts';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { headDim, parameterShapes } from '../llama/params.ts';
import { createSamplingEngine } from './engine.ts';
import { writeTinyCheckpoint } from './test-fixture.ts';

function hfLikeGraph(config: LlamaGraphConfig): Uint8Array {
  const g = createGraph({ name: 'hf_like_decoder' });
  const params = declareParams(g, config);
  const inputIds = g.input('input_ids', ['batch_size', 'sequence_length'], 'int64');
  const attentionMask = g.input('attention_mask', ['batch_size', 'total_sequence_length'], 'int64');
  const useCacheBranch = g.input('use_cache_branch', [1], 'bool');
  const kvShape = ['batch_size', config.num_key_value_heads, 'past_sequence_length', headDim(config)];
  const past = Array.from({ length: config.num_hidden_layers }, (_, i) => ({
    key: g.input(`past_key_values.${i}.key`, kvShape),
    value: g.input(`past_key_values.${i}.value`, kvShape),
  }));
  // Positions of the new tokens: the last sequence_length columns of cumsum(mask) - 1.
  const all = positionIdsFromMaskGraph(g, attentionMask);
  const start = g.neg(g.unsqueeze(g.dimSize(inputIds, 1), [0]));
  const sliced = g.rawOp({
    opType: 'Slice',
    inputs: [all, start, g.constant([BigInt(Number.MAX_SAFE_INTEGER)], [1], 'int64'), g.constant([1n], [1], 'int64')],
    outputShape: ['batch_size', 'sequence_length'],
    dtype: 'int64',
  });
  // Consume the flag (x * 0) so that it stays a real input, as in optimum's merged decoders.
  const positionIds = g.add(sliced, g.mul(g.cast(useCacheBranch, 'int64'), 0));
  const { logits, presents } = llamaDecoder(g, config, params, { inputIds, attentionMask, positionIds, past });
  g.output('logits', logits);
  presents.forEach((p, i) => {
    g.output(`present.${i}.key`, p.key);
    g.output(`present.${i}.value`, p.value);
  });
  return g.toModel();
}

let root: string;
let ours: string;
let exported: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-hf-export-'));
  ours = join(root, 'ours');
  exported = join(root, 'exported');
  await writeTinyCheckpoint(ours, { seed: 8 });
  const checkpoint = await readCheckpoint(ours);
  const config = checkpoint.config as LlamaGraphConfig;
  const tensors = parameterShapes(config).map(({ name, shape }) => ({ name, dims: shape, data: checkpoint.weights.get(name) as Float32Array }));
  const { model, externalData } = attachWeights(hfLikeGraph(config), tensors, { externalLocation: 'model.onnx_data' });
  await cp(ours, exported, { recursive: true });
  await rm(join(exported, 'model.onnx'));
  await rm(join(exported, '_COMPLETE'));
  await mkdir(join(exported, 'onnx'));
  await writeFile(join(exported, 'onnx', 'model.onnx'), model);
  await writeFile(join(exported, 'onnx', 'model.onnx_data'), Buffer.concat(externalData));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('an HF-style export (onnx/model.onnx, external data, no position_ids, use_cache_branch)', () => {
  it('decodes exactly like our model.onnx with the same weights, greedy and sampled, in a padded batch', async () => {
    const a = await createSamplingEngine({ modelDir: ours, intraOpNumThreads: 1 });
    const b = await createSamplingEngine({ modelDir: exported, intraOpNumThreads: 1 });
    try {
      expect(b.info.dir).toBe(exported);
      const rows = [
        { prompt: 'hello', seed: 0, addSpecialTokens: true },
        { prompt: 'the cat sat on the mat and then', seed: 50, addSpecialTokens: true },
      ];
      for (const params of [{ temperature: 0, maxNewTokens: 10, ignoreEos: true }, { temperature: 0.8, topP: 0.9, maxNewTokens: 10, ignoreEos: true }]) {
        expect(await b.generate(rows, params)).toEqual(await a.generate(rows, params));
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('refuses a folder without a decoder-with-past graph, naming what is missing', async () => {
    const empty = join(root, 'no-onnx');
    await cp(ours, empty, { recursive: true });
    await rm(join(empty, 'model.onnx'));
    await expect(createSamplingEngine({ modelDir: empty })).rejects.toMatchObject({ code: 'invalid_model', message: expect.stringMatching(/no ONNX decoder: looked for model.onnx, onnx\/model.onnx/) });
    const g = createGraph({ name: 'not_a_decoder' });
    g.output('logits', g.add(g.input('input_ids', ['batch_size', 'sequence_length'], 'int64'), 1));
    await writeFile(join(empty, 'model.onnx'), g.toModel());
    // 'concat': decode with the folder's ONNX file (auto would build the shared-cache graph from the weights).
    await expect(createSamplingEngine({ modelDir: empty, kvCache: 'concat' })).rejects.toMatchObject({ code: 'invalid_model', message: expect.stringMatching(/no "attention_mask" input[\s\S]*past_key_values/) });
  });
});
