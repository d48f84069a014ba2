import type { LlamaConfig } from '../config.ts';

/**
 * The fields of `LlamaConfig` (../config.ts, HF names) that define the network's maths. The
 * graphs take this narrower type so that any full config (parsed config.json, a preset) fits.
 */
export type LlamaGraphConfig = Pick<
  LlamaConfig,
  | 'vocab_size'
  | 'hidden_size'
  | 'intermediate_size'
  | 'num_hidden_layers'
  | 'num_attention_heads'
  | 'num_key_value_heads'
  | 'head_dim'
  | 'rms_norm_eps'
  | 'rope_theta'
  | 'tie_word_embeddings'
  | 'attention_bias'
>;
