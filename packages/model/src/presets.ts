/**
 * Model sizes the project trains itself (demo, tests). Both tie the LM head to the embedding, as
 * small HF Llamas do (Llama 3.2 1B, SmolLM), which saves V*H parameters.
 */
import { END_OF_TURN_TOKEN } from './chat-template.ts';
import type { LlamaConfig } from './config.ts';
import type { LoadedTokenizer } from './tokenizer.ts';

export type PresetName = 'tiny' | 'small';

export interface PresetOptions {
  /** The tokenizer's vocabulary size (added tokens included). */
  vocabSize: number;
  /** Defaults follow `trainBpeTokenizer`'s layout: BOS 0, EOS 1, PAD 2. */
  bosTokenId?: number;
  eosTokenId?: number | number[];
  padTokenId?: number;
  maxPositionEmbeddings?: number;
}

const SHAPES: Record<PresetName, Pick<LlamaConfig,
  'hidden_size' | 'intermediate_size' | 'num_hidden_layers' | 'num_attention_heads' | 'num_key_value_heads' | 'max_position_embeddings'>> = {
  // ~0.12M parameters at a 512-token vocabulary: seconds per epoch on 2 CPU cores.
  tiny: { hidden_size: 64, intermediate_size: 172, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 512 },
  // ~3.0M parameters at a 512-token vocabulary (the ENGINE-NOTES benchmark size).
  small: { hidden_size: 256, intermediate_size: 688, num_hidden_layers: 4, num_attention_heads: 8, num_key_value_heads: 4, max_position_embeddings: 1024 },
};

export const PRESET_NAMES: readonly PresetName[] = ['tiny', 'small'];

/** A complete config for a named size and a tokenizer's vocabulary. */
export function presetConfig(
  name: PresetName,
  { vocabSize, bosTokenId = 0, eosTokenId = 1, padTokenId = 2, maxPositionEmbeddings }: PresetOptions,
): LlamaConfig {
  const shape = SHAPES[name];
  if (shape === undefined) {
    throw new Error(`Unknown model preset ${JSON.stringify(name)}. Should be one of: ${PRESET_NAMES.join(', ')}`);
  }
  if (!Number.isInteger(vocabSize) || vocabSize <= 0) {
    throw new Error(`presetConfig: vocabSize must be a positive integer (the tokenizer's vocab size), got ${vocabSize}`);
  }
  return {
    model_type: 'llama',
    vocab_size: vocabSize,
    ...shape,
    max_position_embeddings: maxPositionEmbeddings ?? shape.max_position_embeddings,
    head_dim: shape.hidden_size / shape.num_attention_heads,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    attention_bias: false,
    bos_token_id: bosTokenId,
    eos_token_id: eosTokenId,
    pad_token_id: padTokenId,
    initializer_range: 0.02,
    torch_dtype: 'float32',
  };
}

/**
 * A preset sized and labelled for a tokenizer: its vocabulary, BOS and PAD ids, and as EOS ids
 * the tokenizer's EOS plus the chat end-of-turn marker when it has one (like Llama-3-Instruct's
 * [<|end_of_text|>, <|eot_id|>]), so generation stops at the end of an assistant turn.
 */
export function presetConfigForTokenizer(
  name: PresetName,
  tokenizer: Pick<LoadedTokenizer, 'vocabSize' | 'bosId' | 'eosId' | 'padId' | 'tokenToId'>,
  { maxPositionEmbeddings }: { maxPositionEmbeddings?: number } = {},
): LlamaConfig {
  const endOfTurn = tokenizer.tokenToId(END_OF_TURN_TOKEN);
  const options: PresetOptions = {
    vocabSize: tokenizer.vocabSize,
    bosTokenId: tokenizer.bosId,
    eosTokenId: endOfTurn === undefined || endOfTurn === tokenizer.eosId ? tokenizer.eosId : [tokenizer.eosId, endOfTurn],
    padTokenId: tokenizer.padId,
  };
  if (maxPositionEmbeddings !== undefined) options.maxPositionEmbeddings = maxPositionEmbeddings;
  return presetConfig(name, options);
}
