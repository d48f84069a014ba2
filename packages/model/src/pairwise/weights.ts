/** Fresh mini-PairRM weights and their safetensors form (`model.safetensors`, float32). */
import { createRng, hashString } from '../rng.ts';
import { readSafetensors, writeSafetensors } from '../safetensors.ts';
import { checkPairwiseWeights, pairwiseParameterShapes, type MiniPairRMConfig, type PairwiseWeights } from './config.ts';

/**
 * HF-style init (normal(0, initializer_range) for matrices, ones for norms, zeros for biases), one
 * seeded stream per parameter name as packages/model's initializeWeights does for the policy.
 */
export function initPairwiseWeights(config: MiniPairRMConfig, { seed = 0 }: { seed?: number } = {}): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  for (const { name, shape, init } of pairwiseParameterShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (init === 'ones') data.fill(1);
    else if (init === 'normal') {
      const rng = createRng((hashString(name) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
      for (let i = 0; i < data.length; i++) data[i] = config.initializer_range * rng.normal();
    }
    weights.set(name, data);
  }
  // The pad row is zero as with nn.Embedding(padding_idx=pad).
  const embed = weights.get('model.embed_tokens.weight') as Float32Array;
  embed.fill(0, config.pad_token_id * config.hidden_size, (config.pad_token_id + 1) * config.hidden_size);
  return weights;
}

export function serializePairwiseWeights(config: MiniPairRMConfig, weights: PairwiseWeights): Uint8Array {
  checkPairwiseWeights(config, weights);
  return writeSafetensors(
    pairwiseParameterShapes(config).map(({ name, shape }) => [name, { shape, data: weights.get(name) as Float32Array | Float64Array }]),
    { format: 'pt', model_type: config.model_type },
  );
}

export function parsePairwiseWeights(config: MiniPairRMConfig, bytes: Uint8Array, source = 'model.safetensors'): Map<string, Float32Array> {
  const { tensors } = readSafetensors(bytes, source);
  const weights = new Map<string, Float32Array>([...tensors].map(([name, t]) => [name, t.data]));
  checkPairwiseWeights(config, weights);
  return weights;
}
