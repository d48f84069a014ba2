/**
 * transformers.js 4.3 runs each family's model.onnx (written from llamaConfigToJson's config.json,
 * the family's own model_type) and its log-probs equal ours to float32 round-off: the library builds
 * the empty past from the config (num_key_value_heads, head_dim), derives position ids from the
 * mask and feeds optimum's decoder-with-past names, so this is what a transformers.js user gets.
 * Its greedy `generate` (the KV-cache path, sliding windows over the cached keys included) picks
 * the float64 reference's argmax at every step.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoModelForCausalLM, env, Tensor } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaConfigToJson } from '../config.ts';
import { logSoftmaxAt, referenceLogits } from '../llama/reference.ts';
import { FAMILY_CONFIGS } from './family-test-configs.ts';
import { buildGenerationModel } from './generation.ts';
import { padBatch, randomRows, randomWeights, roundToFloat32, toFloat32 } from './test-utils.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sppo-families-tjs-'));
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('transformers.js runs every family', () => {
  Object.entries(FAMILY_CONFIGS).forEach(([label, cfg], i) => {
    it(label, async () => {
      const weights = roundToFloat32(randomWeights(cfg, 41));
      const dir = join(root, `family-${i}`);
      await mkdir(dir);
      await writeFile(join(dir, 'config.json'), JSON.stringify(llamaConfigToJson(cfg)));
      await writeFile(join(dir, 'model.onnx'), buildGenerationModel(cfg, toFloat32(weights)));
      const model = await AutoModelForCausalLM.from_pretrained(dir, { subfolder: '', model_file_name: 'model', dtype: 'fp32' });
      try {
        const T = 8;
        const batch = padBatch(randomRows(cfg.vocab_size, [[2, 6], [3, 2]], 43), T, { side: 'left' });
        const big = (m: number[][]) => new Tensor('int64', BigInt64Array.from(m.flat().map(BigInt)), [m.length, T]);
        const out = (await model({ input_ids: big(batch.inputIds), attention_mask: big(batch.attentionMask) })) as { logits: Tensor };
        const theirs = out.logits.data as Float32Array;
        const V = cfg.vocab_size;
        const ours = referenceLogits(cfg, weights, batch);
        let compared = 0;
        batch.inputIds.forEach((ids, b) => {
          for (let t = 1; t < T; t++) {
            if (batch.attentionMask[b]?.[t - 1] !== 1) continue;
            const row = Float64Array.from(theirs.subarray((b * T + t - 1) * V, (b * T + t) * V));
            const want = logSoftmaxAt(ours[b]?.[t - 1] as Float64Array, ids[t] as number);
            expect(Math.abs(logSoftmaxAt(row, ids[t] as number) - want)).toBeLessThan(2e-5 * Math.max(1, Math.abs(want)));
            compared++;
          }
        });
        expect(compared).toBe(7 + 4); // every position of both rows that has a next token

        // Its greedy generate (prefill, then the KV-cache path token by token) picks the reference's
        // argmax at every step.
        const NEW = 6;
        const generated = (await model.generate({ input_ids: big(batch.inputIds), attention_mask: big(batch.attentionMask), max_new_tokens: NEW, do_sample: false, eos_token_id: -1 })) as Tensor;
        const theirIds = (generated.tolist() as bigint[][]).map((row) => row.slice(T).map(Number));
        const ids = batch.inputIds.map((r) => [...r]);
        const mask = batch.attentionMask.map((r) => [...r]);
        for (let step = 0; step < NEW; step++) {
          const logits = referenceLogits(cfg, weights, { inputIds: ids, attentionMask: mask });
          ids.forEach((row, b) => {
            const last = logits[b]?.[row.length - 1] as Float64Array;
            row.push(last.indexOf(Math.max(...last)));
            mask[b]?.push(1);
          });
        }
        expect(theirIds).toEqual(ids.map((r) => r.slice(T)));
      } finally {
        await model.dispose();
      }
    });
  });
});
