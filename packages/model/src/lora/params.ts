/**
 * Adapter tensors: names, shapes and PEFT's initialisation. Inside the engine an adapter tensor is
 * named after its module as PEFT names it without the `base_model.model.` prefix and the adapter
 * name (`model.layers.3.self_attn.q_proj.lora_A.weight`); peft.ts adds the prefix on disk.
 */
import { createRng, hashString } from '../rng.ts';
import type { LoraSpec, LoraTarget } from './spec.ts';

export const loraAName = (module: string): string => `${module}.lora_A.weight`;
export const loraBName = (module: string): string => `${module}.lora_B.weight`;

export interface LoraParameterShape {
  name: string;
  shape: [number, number];
}

/** lora_A [r, in] then lora_B [out, r] for every target, as nn.Linear(in, r) and nn.Linear(r, out). */
export function loraParameterShapes(targets: readonly LoraTarget[], r: number): LoraParameterShape[] {
  return targets.flatMap((t) => [
    { name: loraAName(t.module), shape: [r, t.inFeatures] as [number, number] },
    { name: loraBName(t.module), shape: [t.outFeatures, r] as [number, number] },
  ]);
}

export type LoraWeights = Map<string, Float32Array>;

/**
 * PEFT's default init (init_lora_weights=True, peft/tuners/lora/layer.py reset_lora_parameters):
 * A by nn.init.kaiming_uniform_(a=sqrt(5)), i.e. U(-b, b) with b = gain * sqrt(3 / fan_in) and
 * gain = sqrt(2 / (1 + a^2)) = sqrt(1/3), so b = 1 / sqrt(in_features); B = 0, so the adapted model
 * starts equal to the base. Seeded per tensor name, the same on every machine.
 */
export function initLoraWeights(targets: readonly LoraTarget[], spec: Pick<LoraSpec, 'r'>, seed: number): LoraWeights {
  const out: LoraWeights = new Map();
  for (const { name, shape } of loraParameterShapes(targets, spec.r)) {
    const data = new Float32Array(shape[0] * shape[1]);
    if (name.endsWith('.lora_A.weight')) {
      const rng = createRng((seed ^ hashString(name)) >>> 0);
      const bound = 1 / Math.sqrt(shape[1]);
      for (let i = 0; i < data.length; i++) data[i] = (2 * rng.uniform() - 1) * bound;
    }
    out.set(name, data);
  }
  return out;
}
