/**
 * Tiny configs of every supported family and rope type, as config.json objects parsed the way a
 * checkpoint's are: the fixtures of the family tests (families.test.ts, families-interop.test.ts).
 * Sliding windows (3) are shorter than the test sequences and the soft-caps small enough to bend
 * the scores, so a switch that were ignored would change the numbers. Not exported from the package.
 */
import { parseLlamaConfig, type LlamaConfig } from '../config.ts';

export const BASE = {
  vocab_size: 29,
  hidden_size: 16,
  intermediate_size: 24,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 4,
  rms_norm_eps: 1e-5,
  max_position_embeddings: 64,
  tie_word_embeddings: false,
  bos_token_id: 1,
  eos_token_id: 2,
  pad_token_id: 0,
};

/** Tiny configs as config.json objects of each family, parsed as a checkpoint's would be. */
export const FAMILY_CONFIGS: Record<string, LlamaConfig> = {
  'llama, llama3 rope, mlp_bias, head_dim 8': parseLlamaConfig({
    ...BASE,
    model_type: 'llama',
    head_dim: 8,
    mlp_bias: true,
    rope_theta: 500000,
    rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 },
  }),
  'llama, linear rope, attention_bias': parseLlamaConfig({ ...BASE, model_type: 'llama', attention_bias: true, rope_scaling: { type: 'linear', factor: 2 } }),
  'llama, yarn rope': parseLlamaConfig({
    ...BASE,
    model_type: 'llama',
    head_dim: 8,
    rope_theta: 1000,
    rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 4, beta_fast: 8, beta_slow: 1 },
  }),
  'llama, dynamic NTK rope past max_position_embeddings': parseLlamaConfig({
    ...BASE,
    model_type: 'llama',
    max_position_embeddings: 5,
    rope_scaling: { rope_type: 'dynamic', factor: 3 },
  }),
  'mistral, sliding_window 3': parseLlamaConfig({ ...BASE, model_type: 'mistral', sliding_window: 3 }),
  'qwen2, q/k/v bias, sliding window from layer 1': parseLlamaConfig({
    ...BASE,
    model_type: 'qwen2',
    tie_word_embeddings: true,
    use_sliding_window: true,
    sliding_window: 3,
    max_window_layers: 1,
  }),
  'qwen3, q/k norms, head_dim 6 != hidden/heads, attention_bias': parseLlamaConfig({
    ...BASE,
    model_type: 'qwen3',
    head_dim: 6,
    attention_bias: true,
    sliding_window: null,
  }),
  'gemma2, sandwich norms, gelu, soft-caps, query_pre_attn_scalar, alternating window 3': parseLlamaConfig({
    ...BASE,
    model_type: 'gemma2',
    tie_word_embeddings: true,
    query_pre_attn_scalar: 9,
    attn_logit_softcapping: 1.5,
    final_logit_softcapping: 3,
    sliding_window: 3,
  }),
  'gemma3_text, (1 + w) q/k norms, local and global rope bases, linear scaling on full layers, window pattern 2': parseLlamaConfig({
    ...BASE,
    model_type: 'gemma3_text',
    tie_word_embeddings: true,
    head_dim: 6,
    query_pre_attn_scalar: 5,
    rope_theta: 100000,
    rope_local_base_freq: 50,
    rope_scaling: { rope_type: 'linear', factor: 4 },
    sliding_window: 3,
    sliding_window_pattern: 2,
    final_logit_softcapping: 4,
  }),
};

