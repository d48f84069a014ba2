import { parameterSpecs } from '../parameters.ts';
import type { LlamaGraphConfig } from './config-types.ts';

/** The config.json fields that fix the model's tensor shapes (each a positive integer). */
export const SHAPE_FIELDS = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'num_key_value_heads',
  'head_dim',
] as const satisfies readonly (keyof LlamaGraphConfig)[];

/** One parameter tensor: its HF name and its shape (HF Linear weights are [out, in]). */
export interface ParameterShape {
  name: string;
  shape: number[];
}

/** Attention head width (always set in a parsed config; HF derives hidden_size / heads). */
export function headDim(config: LlamaGraphConfig): number {
  return config.head_dim;
}

/**
 * Checks what the graphs rely on and throws one error listing every problem with the valid
 * values (parseLlamaConfig already checks these for a config.json; this guards hand-built ones).
 */
export function validateGraphConfig(config: LlamaGraphConfig): void {
  const problems: string[] = [];
  for (const key of SHAPE_FIELDS) {
    const v = config[key];
    if (!Number.isInteger(v) || v <= 0) problems.push(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (config.head_dim % 2 !== 0) problems.push(`head_dim must be even for rotary embeddings (rotate-half), got ${config.head_dim}`);
  if (config.num_attention_heads % config.num_key_value_heads !== 0) {
    problems.push(
      `num_attention_heads (${config.num_attention_heads}) must be a multiple of ` +
        `num_key_value_heads (${config.num_key_value_heads}) for grouped-query attention`,
    );
  }
  if (!(config.rms_norm_eps > 0)) problems.push(`rms_norm_eps must be > 0, got ${config.rms_norm_eps}`);
  if (!(config.rope_theta > 0)) problems.push(`rope_theta must be > 0, got ${config.rope_theta}`);
  if (problems.length > 0) {
    throw new Error(`Invalid Llama config for the graphs:\n  - ${problems.join('\n  - ')}`);
  }
}

/**
 * Every parameter of the config's family with its HF name and shape, in a fixed order (embedding,
 * layers, final norm, head): parameters.ts parameterSpecs, the one list the checkpoint I/O uses
 * too. Graphs take parameters as inputs in exactly this order and name.
 */
export function parameterShapes(config: LlamaGraphConfig): ParameterShape[] {
  validateGraphConfig(config);
  return parameterSpecs(config).map(({ name, shape }) => ({ name, shape }));
}

/** Number of scalar parameters of a config. */
export function parameterCount(config: LlamaGraphConfig): number {
  return parameterShapes(config).reduce((n, p) => n + p.shape.reduce((a, b) => a * b, 1), 0);
}

export type LlamaWeights = Map<string, Float32Array | Float64Array>;

/**
 * Checks that `weights` holds every parameter of `config` with the right element count, and
 * names what is missing or mis-sized (extra keys such as rotary caches are ignored, like HF).
 */
export function checkWeights(config: LlamaGraphConfig, weights: LlamaWeights): void {
  const problems: string[] = [];
  for (const { name, shape } of parameterShapes(config)) {
    const w = weights.get(name);
    const size = shape.reduce((a, b) => a * b, 1);
    if (w === undefined) problems.push(`missing ${name} [${shape.join(', ')}]`);
    else if (w.length !== size) {
      problems.push(`${name} has ${w.length} elements, expected ${size} for shape [${shape.join(', ')}]`);
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Weights do not match the config (${problems.length} problem(s)):\n  - ${problems.join('\n  - ')}\n` +
        'Check that config.json belongs to this checkpoint (hidden_size, heads, tie_word_embeddings, attention_bias).',
    );
  }
}
