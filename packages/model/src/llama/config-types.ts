import type { LlamaConfig } from '../config.ts';

export type { ModelType, RopeScaling } from '../config.ts';

/**
 * The fields of `LlamaConfig` (../config.ts, HF names) that define the network's maths. The
 * graphs take this narrower type so that any full config (parsed config.json, a preset) fits.
 * The family fields are optional: absent, they mean plain Llama (architecture.ts).
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
> &
  Partial<
    Pick<
      LlamaConfig,
      | 'model_type'
      | 'max_position_embeddings'
      | 'rope_scaling'
      | 'mlp_bias'
      | 'hidden_act'
      | 'sliding_window'
      | 'use_sliding_window'
      | 'max_window_layers'
      | 'layer_types'
      | 'query_pre_attn_scalar'
      | 'attn_logit_softcapping'
      | 'final_logit_softcapping'
      | 'rope_local_base_freq'
      | 'sliding_window_pattern'
    >
  >;
