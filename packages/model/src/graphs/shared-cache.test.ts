import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { positionIdsFromMask } from '../llama/reference.ts';
import { buildGenerationModel } from './generation.ts';
import { buildSharedCacheDecoder, buildSharedCacheDecoderFiles, sharedCacheUnsupported } from './shared-cache.ts';
import { int64, randomWeights, tinyConfig, toFloat32 } from './test-utils.ts';

// head_dim 8: ORT's CPU GroupQueryAttention needs a multiple of 8.
const cfg = tinyConfig({ hidden_size: 32, head_dim: 8, tie_word_embeddings: true });
const weights = toFloat32(randomWeights(cfg, 5));
const L = cfg.num_hidden_layers;
const kv = cfg.num_key_value_heads;
const hd = cfg.head_dim;
let reference: ort.InferenceSession;
let shared: ort.InferenceSession;

beforeAll(async () => {
  reference = await ort.InferenceSession.create(buildGenerationModel(cfg, weights), { intraOpNumThreads: 1 });
  shared = await ort.InferenceSession.create(buildSharedCacheDecoder(cfg, weights), { intraOpNumThreads: 1 });
});
afterAll(async () => {
  await reference.release();
  await shared.release();
});

/** Left-padded prompts (0 = padding) and a few generated columns, as the sampler lays them out. */
const prompts = [
  [0, 0, 0, 7, 12, 3],
  [5, 9, 44, 2, 18, 30],
  [0, 0, 0, 0, 0, 21],
];
const generated = [
  [4, 8, 15, 16],
  [23, 42, 1, 2],
  [3, 5, 8, 13],
];

function maskOf(cols: number): number[][] {
  return prompts.map((p) => [...p.map((id, t) => (id === 0 && p.slice(0, t + 1).every((x) => x === 0) ? 0 : 1)), ...Array(cols - p.length).fill(1)]);
}

describe('shared-cache decoder (GroupQueryAttention, cache written in place)', () => {
  it('gives model.onnx logits at the last position of every step, prefill then decoding, with the cache updated in place', async () => {
    const B = prompts.length;
    const capacity = prompts[0]!.length + generated[0]!.length + 3; // spare columns stay unused
    const caches = Array.from({ length: L }, () => ({
      key: new ort.Tensor('float32', new Float32Array(B * kv * capacity * hd), [B, kv, capacity, hd]),
      value: new ort.Tensor('float32', new Float32Array(B * kv * capacity * hd), [B, kv, capacity, hd]),
    }));
    let refPast: Record<string, ort.Tensor> = {};
    for (let i = 0; i < L; i++) for (const kind of ['key', 'value']) refPast[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [B, kv, 0, hd]);
    const V = cfg.vocab_size;
    let worst = 0;
    const steps = [prompts.map((p) => p), ...generated[0]!.map((_, s) => generated.map((g) => [g[s]!]))];
    let width = 0;
    for (const columns of steps) {
      const start = width;
      width += columns[0]!.length;
      const mask = maskOf(width);
      const feeds = {
        input_ids: int64(columns),
        attention_mask: int64(mask),
        position_ids: int64(positionIdsFromMask(mask).map((r) => r.slice(start, width))),
      };
      const ref = await reference.run({ ...feeds, ...refPast });
      const sharedFeeds: Record<string, ort.Tensor> = { ...feeds };
      const fetches: Record<string, ort.Tensor | null> = { logits: null };
      caches.forEach((c, i) => {
        sharedFeeds[`past_key_values.${i}.key`] = c.key;
        sharedFeeds[`past_key_values.${i}.value`] = c.value;
        fetches[`present.${i}.key`] = c.key;
        fetches[`present.${i}.value`] = c.value;
      });
      const out = await shared.run(sharedFeeds, fetches);
      expect(out.logits!.dims).toEqual([B, 1, V]);
      const refLogits = ref.logits!.data as Float32Array;
      const ours = out.logits!.data as Float32Array;
      const n = columns[0]!.length;
      for (let b = 0; b < B; b++) {
        for (let v = 0; v < V; v++) worst = Math.max(worst, Math.abs(ours[b * V + v]! - refLogits[(b * n + n - 1) * V + v]!));
      }
      // The shared buffer now holds model.onnx's present in its first `width` columns. Padding
      // columns are skipped: no query ever reads them, and a padding position that sees no key
      // at all gets arbitrary hidden states in either graph (different ones: the masks differ).
      for (let i = 0; i < L; i++) {
        for (const kind of ['key', 'value'] as const) {
          const present = ref[`present.${i}.${kind}`]!.data as Float32Array;
          const buffer = caches[i]![kind].data as Float32Array;
          for (let r = 0; r < B * kv; r++) {
            for (let t = 0; t < width; t++) {
              if (mask[Math.floor(r / kv)]![t] === 0) continue;
              for (let d = 0; d < hd; d++) {
                worst = Math.max(worst, Math.abs(buffer[(r * capacity + t) * hd + d]! - present[(r * width + t) * hd + d]!));
              }
            }
          }
        }
      }
      refPast = {};
      for (let i = 0; i < L; i++) for (const kind of ['key', 'value']) refPast[`past_key_values.${i}.${kind}`] = ref[`present.${i}.${kind}`]!;
    }
    expect(worst).toBeLessThan(2e-5);
  });

  it('runs the same with its weights as in-memory external data (models past 2 GiB)', async () => {
    const files = buildSharedCacheDecoderFiles(cfg, weights, { external: true });
    expect(files.externalData?.data.byteLength).toBe([...weights.values()].reduce((n, w) => n + w.byteLength, 0));
    const external = await ort.InferenceSession.create(files.model, { intraOpNumThreads: 1, externalData: [files.externalData!] });
    const B = 1;
    const capacity = 8;
    const feeds = (): Record<string, ort.Tensor> => {
      const f: Record<string, ort.Tensor> = { input_ids: int64([[3, 9, 27]]), attention_mask: int64([[1, 1, 1]]), position_ids: int64([[0, 1, 2]]) };
      for (let i = 0; i < L; i++) for (const kind of ['key', 'value']) f[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(B * kv * capacity * hd), [B, kv, capacity, hd]);
      return f;
    };
    const a = (await external.run(feeds())).logits!.data as Float32Array;
    const b = (await shared.run(feeds())).logits!.data as Float32Array;
    await external.release();
    expect(Array.from(a)).toEqual(Array.from(b));
  });

  it('says which configs it cannot serve (the engine then runs model.onnx)', () => {
    expect(sharedCacheUnsupported(cfg)).toBeUndefined();
    expect(sharedCacheUnsupported(tinyConfig())).toMatch(/head_dim 4 is not a multiple of 8/);
    expect(sharedCacheUnsupported({ ...cfg, model_type: 'mistral', sliding_window: 4096 })).toMatch(/sliding_window/);
    expect(sharedCacheUnsupported({ ...cfg, model_type: 'qwen2', sliding_window: 4096, use_sliding_window: false })).toBeUndefined();
    expect(() => buildSharedCacheDecoder(tinyConfig(), toFloat32(randomWeights(tinyConfig(), 1)))).toThrow(/multiple of 8/);
  });
});
