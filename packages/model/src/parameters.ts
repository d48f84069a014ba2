/**
 * The parameters of <Family>ForCausalLM with HF's names and shapes (transformers
 * models/<family>/modeling_<family>.py): what a `model.safetensors` must hold for a config.
 * HF Linear weights are [out, in] (y = x W^T).
 */
import { architectureOf } from './llama/architecture.ts';
import type { LlamaGraphConfig } from './llama/config-types.ts';

/** How HF's `_init_weights` initialises a parameter. */
export type ParameterInit = 'normal' | 'ones' | 'zeros';

export interface ParameterSpec {
  name: string;
  shape: number[];
  init: ParameterInit;
}

/**
 * Every parameter in a fixed order: embedding, then per layer input_layernorm, q/k/v/o projections
 * (with their biases where the family has them), q_norm/k_norm (qwen3), post_attention_layernorm,
 * pre/post_feedforward_layernorm (gemma2), gate/up/down projections (with mlp_bias biases); then
 * the final norm and lm_head (absent when tie_word_embeddings). Gemma's norms scale by (1 + w), so
 * HF initialises them to zero; the others to one.
 */
export function parameterSpecs(config: LlamaGraphConfig): ParameterSpec[] {
  const arch = architectureOf(config);
  const H = config.hidden_size;
  const I = config.intermediate_size;
  const qOut = config.num_attention_heads * config.head_dim;
  const kvOut = config.num_key_value_heads * config.head_dim;
  const normInit: ParameterInit = arch.normAddsOne ? 'zeros' : 'ones';
  const specs: ParameterSpec[] = [{ name: 'model.embed_tokens.weight', shape: [config.vocab_size, H], init: 'normal' }];
  const linear = (name: string, out: number, inp: number, bias: boolean): void => {
    specs.push({ name: `${name}.weight`, shape: [out, inp], init: 'normal' });
    if (bias) specs.push({ name: `${name}.bias`, shape: [out], init: 'zeros' });
  };
  const norm = (name: string, size: number): void => {
    specs.push({ name: `${name}.weight`, shape: [size], init: normInit });
  };
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    norm(`${p}.input_layernorm`, H);
    linear(`${p}.self_attn.q_proj`, qOut, H, arch.qkvBias);
    linear(`${p}.self_attn.k_proj`, kvOut, H, arch.qkvBias);
    linear(`${p}.self_attn.v_proj`, kvOut, H, arch.qkvBias);
    linear(`${p}.self_attn.o_proj`, H, qOut, arch.oBias);
    if (arch.qkNorm) {
      norm(`${p}.self_attn.q_norm`, config.head_dim);
      norm(`${p}.self_attn.k_norm`, config.head_dim);
    }
    norm(`${p}.post_attention_layernorm`, H);
    if (arch.sandwichNorms) {
      norm(`${p}.pre_feedforward_layernorm`, H);
      norm(`${p}.post_feedforward_layernorm`, H);
    }
    linear(`${p}.mlp.gate_proj`, I, H, arch.mlpBias);
    linear(`${p}.mlp.up_proj`, I, H, arch.mlpBias);
    linear(`${p}.mlp.down_proj`, H, I, arch.mlpBias);
  }
  norm('model.norm', H);
  if (!config.tie_word_embeddings) {
    specs.push({ name: 'lm_head.weight', shape: [config.vocab_size, H], init: 'normal' });
  }
  return specs;
}

/** HF parameter names in `parameterSpecs` order. */
export function parameterNames(config: LlamaGraphConfig): string[] {
  return parameterSpecs(config).map((s) => s.name);
}

/** Element count of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Total number of scalar parameters (tied embeddings counted once). */
export function countParameters(config: LlamaGraphConfig): number {
  return parameterSpecs(config).reduce((n, s) => n + numel(s.shape), 0);
}
