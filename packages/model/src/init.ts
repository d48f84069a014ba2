/**
 * Fresh weights for a config, initialised as HF's `LlamaPreTrainedModel._init_weights`
 * (transformers modeling_llama.py): Linear and Embedding weights ~ normal(0, initializer_range),
 * biases zero, RMSNorm weights one, and the embedding row of `pad_token_id` zeroed (HF builds
 * `nn.Embedding(vocab, hidden, padding_idx=pad_token_id)` and zeroes that row at init).
 */
import type { LlamaConfig } from './config.ts';
import { numel, parameterSpecs } from './parameters.ts';
import { createRng, hashString } from './rng.ts';

export interface InitializeWeightsOptions {
  seed?: number;
}

/**
 * Deterministic random weights keyed by HF parameter name. Each parameter has its own stream
 * derived from (seed, name), so adding a layer or a bias does not change the other tensors.
 */
export function initializeWeights(
  config: LlamaConfig,
  { seed = 0 }: InitializeWeightsOptions = {},
): Map<string, Float32Array> {
  const weights = new Map<string, Float32Array>();
  const std = config.initializer_range;
  for (const spec of parameterSpecs(config)) {
    const data = new Float32Array(numel(spec.shape));
    if (spec.init === 'ones') data.fill(1);
    else if (spec.init === 'normal') {
      const rng = createRng((hashString(spec.name) ^ Math.imul(seed >>> 0, 0x9e3779b1)) >>> 0);
      for (let i = 0; i < data.length; i++) data[i] = std * rng.normal();
    }
    weights.set(spec.name, data);
  }
  const pad = config.pad_token_id;
  const embed = weights.get('model.embed_tokens.weight');
  if (pad !== undefined && embed !== undefined) {
    embed.fill(0, pad * config.hidden_size, (pad + 1) * config.hidden_size);
  }
  return weights;
}
