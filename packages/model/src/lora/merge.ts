/**
 * Merging an adapter into its base (PEFT LoraLayer.merge / get_delta_weight): W' = W + (alpha / r) B A
 * for every adapted module; every other tensor is the base's own array (not copied). The product is
 * accumulated in float64 and rounded once to float32, so the merged weight is the float32 nearest
 * to the exact sum.
 */
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { loraAName, loraBName, type LoraWeights } from './params.ts';
import { loraScale, loraTargets, type LoraSpec } from './spec.ts';

export function mergeLora(
  config: LlamaGraphConfig,
  base: ReadonlyMap<string, Float32Array | Float64Array>,
  spec: LoraSpec,
  adapter: LoraWeights,
): Map<string, Float32Array> {
  const scale = loraScale(spec);
  const out = new Map<string, Float32Array>();
  for (const [name, w] of base) out.set(name, w instanceof Float32Array ? w : Float32Array.from(w));
  for (const { module, inFeatures: n, outFeatures: m } of loraTargets(config, spec)) {
    const w = base.get(`${module}.weight`);
    const a = adapter.get(loraAName(module));
    const b = adapter.get(loraBName(module));
    if (!w || !a || !b) throw new Error(`mergeLora: ${!w ? `base weight ${module}.weight` : `adapter tensor ${!a ? loraAName(module) : loraBName(module)}`} is missing`);
    const r = spec.r;
    const merged = new Float32Array(m * n);
    const acc = new Float64Array(n);
    for (let i = 0; i < m; i++) {
      acc.fill(0);
      for (let k = 0; k < r; k++) {
        const bik = b[i * r + k]! * scale;
        if (bik === 0) continue;
        const aRow = k * n;
        for (let j = 0; j < n; j++) acc[j]! += bik * a[aRow + j]!;
      }
      for (let j = 0; j < n; j++) merged[i * n + j] = w[i * n + j]! + acc[j]!;
    }
    out.set(`${module}.weight`, merged);
  }
  return out;
}
