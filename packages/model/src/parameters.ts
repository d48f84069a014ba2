/**
 * The parameters of LlamaForCausalLM with HF's names and shapes (transformers
 * models/llama/modeling_llama.py): what a `model.safetensors` must hold for a config.
 * HF Linear weights are [out, in] (y = x W^T).
 */
import type { LlamaConfig } from './config.ts';

/** How HF's `_init_weights` initialises a parameter. */
export type ParameterInit = 'normal' | 'ones' | 'zeros';

export interface ParameterSpec {
  name: string;
  shape: number[];
  init: ParameterInit;
}

/**
 * Every parameter in a fixed order: embedding, then per layer input_layernorm, q/k/v/o projections
 * (with biases when attention_bias), post_attention_layernorm, gate/up/down projections; then the
 * final norm and lm_head (absent when tie_word_embeddings).
 */
export function parameterSpecs(config: LlamaConfig): ParameterSpec[] {
  const H = config.hidden_size;
  const I = config.intermediate_size;
  const qOut = config.num_attention_heads * config.head_dim;
  const kvOut = config.num_key_value_heads * config.head_dim;
  const specs: ParameterSpec[] = [{ name: 'model.embed_tokens.weight', shape: [config.vocab_size, H], init: 'normal' }];
  const linear = (name: string, out: number, inp: number): void => {
    specs.push({ name: `${name}.weight`, shape: [out, inp], init: 'normal' });
    if (config.attention_bias) specs.push({ name: `${name}.bias`, shape: [out], init: 'zeros' });
  };
  for (let i = 0; i < config.num_hidden_layers; i++) {
    const p = `model.layers.${i}`;
    specs.push({ name: `${p}.input_layernorm.weight`, shape: [H], init: 'ones' });
    linear(`${p}.self_attn.q_proj`, qOut, H);
    linear(`${p}.self_attn.k_proj`, kvOut, H);
    linear(`${p}.self_attn.v_proj`, kvOut, H);
    linear(`${p}.self_attn.o_proj`, H, qOut);
    specs.push({ name: `${p}.post_attention_layernorm.weight`, shape: [H], init: 'ones' });
    // The MLP has no bias in Llama (mlp_bias false is enforced by parseLlamaConfig).
    specs.push({ name: `${p}.mlp.gate_proj.weight`, shape: [I, H], init: 'normal' });
    specs.push({ name: `${p}.mlp.up_proj.weight`, shape: [I, H], init: 'normal' });
    specs.push({ name: `${p}.mlp.down_proj.weight`, shape: [H, I], init: 'normal' });
  }
  specs.push({ name: 'model.norm.weight', shape: [H], init: 'ones' });
  if (!config.tie_word_embeddings) {
    specs.push({ name: 'lm_head.weight', shape: [config.vocab_size, H], init: 'normal' });
  }
  return specs;
}

/** HF parameter names in `parameterSpecs` order. */
export function parameterNames(config: LlamaConfig): string[] {
  return parameterSpecs(config).map((s) => s.name);
}

/** Element count of a shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Total number of scalar parameters (tied embeddings counted once). */
export function countParameters(config: LlamaConfig): number {
  return parameterSpecs(config).reduce((n, s) => n + numel(s.shape), 0);
}
