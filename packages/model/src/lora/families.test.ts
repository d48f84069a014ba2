// LoRA works the same for every model family the decoder supports: the adapter hangs off the one
// projection hook, so for each family's tiny config the graph with base + adapter (float64) gives
// the float64 reference's log-probs of the exactly merged weights W + (alpha/r) B A.
import * as ort from 'onnxruntime-node';
import { createGraph } from '@sppo/autodiff';
import { describe, expect, it } from 'vitest';
import { FAMILY_CONFIGS } from '../graphs/family-test-configs.ts';
import { declareTokenBatch, sequenceLogps } from '../graphs/sequence-logps.ts';
import { int64, padBatch, randomRows, randomWeights } from '../graphs/test-utils.ts';
import { referenceSequenceLogps } from '../llama/reference.ts';
import { parameterShapes } from '../llama/params.ts';
import { createRng } from '../rng.ts';
import { declareLoraParams } from './graph.ts';
import { loraAName, loraBName, loraParameterShapes } from './params.ts';
import { loraScale, loraTargets, type LoraSpec } from './spec.ts';

const spec: LoraSpec = { r: 2, alpha: 5, dropout: 0, targetModules: ['all-linear'] };

describe('LoRA on every family (all-linear, float64)', () => {
  for (const [label, cfg] of Object.entries(FAMILY_CONFIGS)) {
    it(label, async () => {
      const base = randomWeights(cfg, 17);
      const rng = createRng(5);
      const shapes = loraParameterShapes(loraTargets(cfg, spec), spec.r);
      const adapter = new Map(shapes.map(({ name, shape }) => [name, Float64Array.from({ length: shape[0] * shape[1] }, () => 0.3 * rng.normal())]));
      const merged = new Map([...base].map(([k, v]) => [k, Float64Array.from(v)]));
      const s = loraScale(spec);
      for (const t of loraTargets(cfg, spec)) {
        const w = merged.get(`${t.module}.weight`)!;
        const [a, b] = [adapter.get(loraAName(t.module))!, adapter.get(loraBName(t.module))!];
        for (let i = 0; i < t.outFeatures; i++) for (let j = 0; j < t.inFeatures; j++) for (let k = 0; k < spec.r; k++) w[i * t.inFeatures + j]! += s * b[i * spec.r + k]! * a[k * t.inFeatures + j]!;
      }
      const T = 8;
      const batch = padBatch(randomRows(cfg.vocab_size, [[2, 5], [3, 3]], 23), T);
      const g = createGraph({ name: 'lora_logps', floatType: 'float64' });
      g.output('logps', sequenceLogps(g, cfg, declareLoraParams(g, cfg, spec).params, declareTokenBatch(g, 2, T)).logps);
      const feeds: Record<string, ort.Tensor> = { input_ids: int64(batch.inputIds), attention_mask: int64(batch.attentionMask), response_mask: int64(batch.responseMask) };
      for (const { name, shape } of parameterShapes(cfg)) feeds[name] = new ort.Tensor('float64', base.get(name)!, shape);
      for (const { name, shape } of shapes) feeds[name] = new ort.Tensor('float64', adapter.get(name)!, shape);
      const session = await ort.InferenceSession.create(g.toModel(), { graphOptimizationLevel: 'basic' });
      const got = [...((await session.run(feeds)).logps!.data as Float64Array)];
      await session.release();
      const want = referenceSequenceLogps(cfg, merged, batch).logps;
      const unadapted = referenceSequenceLogps(cfg, base, batch).logps;
      for (let i = 0; i < 2; i++) {
        expect(Math.abs(got[i]! - unadapted[i]!)).toBeGreaterThan(1e-3); // the adapter matters
        expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-9 * Math.max(1, Math.abs(want[i]!)));
      }
    });
  }
});
