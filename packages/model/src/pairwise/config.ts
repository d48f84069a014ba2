/**
 * `config.json` of a mini-PairRM judge: a small bidirectional transformer encoder (Llama-style
 * blocks: RMSNorm, RoPE, SwiGLU, no causal mask) with PairRM's pairwise head. The token-id fields
 * carry PairRM's names (DebertaV2PairRM config: sep_token_id, source_prefix_id, cand_prefix_id,
 * cand1_prefix_id, cand2_prefix_id; llm-blender ranker_config: source_maxlength,
 * candidate_maxlength, n_tasks).
 */
import { PAIRRM_MAX_CANDIDATE_TOKENS, PAIRRM_MAX_SOURCE_TOKENS, type PairRMTokenIds } from './inputs.ts';

export const MINI_PAIRRM_MODEL_TYPE = 'mini_pairrm';

export interface MiniPairRMConfig {
  model_type: typeof MINI_PAIRRM_MODEL_TYPE;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  rms_norm_eps: number;
  rope_theta: number;
  initializer_range: number;
  pad_token_id: number;
  cls_token_id: number;
  sep_token_id: number;
  source_prefix_id: number;
  cand_prefix_id: number;
  cand1_prefix_id: number;
  cand2_prefix_id: number;
  /** Default token budgets of the input builder (a judge factory may override them). */
  source_maxlength: number;
  candidate_maxlength: number;
  /** PairRM's head outputs n_tasks scores and averages them; ours has one task. */
  n_tasks: 1;
}

export interface MiniPairRMConfigOptions {
  vocabSize: number;
  tokenIds: PairRMTokenIds;
  hiddenSize?: number;
  intermediateSize?: number;
  numHiddenLayers?: number;
  numAttentionHeads?: number;
  maxSourceTokens?: number;
  maxCandidateTokens?: number;
  rmsNormEps?: number;
  ropeTheta?: number;
  initializerRange?: number;
}

export function miniPairRMConfig({
  vocabSize,
  tokenIds,
  hiddenSize = 64,
  intermediateSize = hiddenSize * 2,
  numHiddenLayers = 2,
  numAttentionHeads = 4,
  maxSourceTokens = PAIRRM_MAX_SOURCE_TOKENS,
  maxCandidateTokens = PAIRRM_MAX_CANDIDATE_TOKENS,
  rmsNormEps = 1e-6,
  ropeTheta = 10000,
  initializerRange = 0.02,
}: MiniPairRMConfigOptions): MiniPairRMConfig {
  return parseMiniPairRMConfig({
    model_type: MINI_PAIRRM_MODEL_TYPE,
    vocab_size: vocabSize,
    hidden_size: hiddenSize,
    intermediate_size: intermediateSize,
    num_hidden_layers: numHiddenLayers,
    num_attention_heads: numAttentionHeads,
    rms_norm_eps: rmsNormEps,
    rope_theta: ropeTheta,
    initializer_range: initializerRange,
    pad_token_id: tokenIds.pad,
    cls_token_id: tokenIds.cls,
    sep_token_id: tokenIds.sep,
    source_prefix_id: tokenIds.source,
    cand_prefix_id: tokenIds.candidate,
    cand1_prefix_id: tokenIds.candidate1,
    cand2_prefix_id: tokenIds.candidate2,
    source_maxlength: maxSourceTokens,
    candidate_maxlength: maxCandidateTokens,
    n_tasks: 1,
  });
}

const INT_FIELDS = [
  'vocab_size',
  'hidden_size',
  'intermediate_size',
  'num_hidden_layers',
  'num_attention_heads',
  'pad_token_id',
  'cls_token_id',
  'sep_token_id',
  'source_prefix_id',
  'cand_prefix_id',
  'cand1_prefix_id',
  'cand2_prefix_id',
  'source_maxlength',
  'candidate_maxlength',
] as const;
const POSITIVE_FIELDS = ['rms_norm_eps', 'rope_theta', 'initializer_range'] as const;

/** Validates a parsed config.json, listing every problem at once. */
export function parseMiniPairRMConfig(json: unknown): MiniPairRMConfig {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('mini-PairRM config.json must be a JSON object');
  const c = json as Record<string, unknown>;
  const problems: string[] = [];
  if (c['model_type'] !== MINI_PAIRRM_MODEL_TYPE) problems.push(`model_type must be "${MINI_PAIRRM_MODEL_TYPE}", got ${JSON.stringify(c['model_type'])}`);
  for (const f of INT_FIELDS) {
    const v = c[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push(`${f} must be a non-negative integer, got ${JSON.stringify(v)}`);
  }
  for (const f of POSITIVE_FIELDS) {
    const v = c[f];
    if (typeof v !== 'number' || !(v > 0)) problems.push(`${f} must be a positive number, got ${JSON.stringify(v)}`);
  }
  if ((c['n_tasks'] ?? 1) !== 1) problems.push(`n_tasks must be 1, got ${JSON.stringify(c['n_tasks'])}`);
  const h = c['hidden_size'] as number;
  const heads = c['num_attention_heads'] as number;
  if (Number.isInteger(h) && Number.isInteger(heads) && heads > 0 && (h % heads !== 0 || (h / heads) % 2 !== 0)) {
    problems.push(`hidden_size ${h} must be num_attention_heads (${heads}) x an even head_dim (RoPE rotates pairs)`);
  }
  const vocab = c['vocab_size'] as number;
  for (const f of INT_FIELDS.filter((x) => x.endsWith('_id'))) {
    if (typeof c[f] === 'number' && typeof vocab === 'number' && (c[f] as number) >= vocab) problems.push(`${f} ${String(c[f])} is outside vocab_size ${vocab}`);
  }
  for (const f of ['source_maxlength', 'candidate_maxlength'] as const) {
    if (typeof c[f] === 'number' && (c[f] as number) < 3) problems.push(`${f} must be >= 3 ([CLS], marker, [SEP])`);
  }
  if (problems.length > 0) throw new Error(`Invalid mini-PairRM config.json:\n  - ${problems.join('\n  - ')}`);
  return { ...(c as unknown as MiniPairRMConfig), n_tasks: 1 };
}

export interface PairwiseParameterShape {
  name: string;
  shape: number[];
  init: 'normal' | 'ones' | 'zeros';
}

/**
 * Parameters in a fixed order. Encoder names follow HF Llama (`model.layers.{i}.self_attn.q_proj`);
 * the head follows DebertaV2PairRM's `head_layer` Sequential (0 Dropout, 1 Linear(2H->H), 2 Tanh,
 * 3 Dropout, 4 Linear(H->n_tasks)), so the names read like a PairRM state dict.
 */
export function pairwiseParameterShapes(config: MiniPairRMConfig): PairwiseParameterShape[] {
  const H = config.hidden_size;
  const I = config.intermediate_size;
  const out: PairwiseParameterShape[] = [
    { name: 'model.embed_tokens.weight', shape: [config.vocab_size, H], init: 'normal' },
    // BERT-style segment (token type) embeddings: 0 before any [CLS], 1 source, 2 candidate 1, 3 candidate 2.
    { name: 'model.embed_segments.weight', shape: [SEGMENTS, H], init: 'normal' },
  ];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    out.push(
      { name: `${p}.input_layernorm.weight`, shape: [H], init: 'ones' },
      { name: `${p}.self_attn.q_proj.weight`, shape: [H, H], init: 'normal' },
      { name: `${p}.self_attn.k_proj.weight`, shape: [H, H], init: 'normal' },
      { name: `${p}.self_attn.v_proj.weight`, shape: [H, H], init: 'normal' },
      { name: `${p}.self_attn.o_proj.weight`, shape: [H, H], init: 'normal' },
      { name: `${p}.post_attention_layernorm.weight`, shape: [H], init: 'ones' },
      { name: `${p}.mlp.gate_proj.weight`, shape: [I, H], init: 'normal' },
      { name: `${p}.mlp.up_proj.weight`, shape: [I, H], init: 'normal' },
      { name: `${p}.mlp.down_proj.weight`, shape: [H, I], init: 'normal' },
    );
  }
  out.push(
    { name: 'model.norm.weight', shape: [H], init: 'ones' },
    { name: 'head_layer.1.weight', shape: [H, 2 * H], init: 'normal' },
    { name: 'head_layer.1.bias', shape: [H], init: 'zeros' },
    { name: 'head_layer.4.weight', shape: [1, H], init: 'normal' },
    { name: 'head_layer.4.bias', shape: [1], init: 'zeros' },
  );
  return out;
}

/** Segment ids 0..3: see encoder.ts. */
export const SEGMENTS = 4;

export type PairwiseWeights = Map<string, Float32Array | Float64Array>;

/** Checks that every parameter is present with the right number of values. */
export function checkPairwiseWeights(config: MiniPairRMConfig, weights: ReadonlyMap<string, Float32Array | Float64Array>): void {
  const problems: string[] = [];
  for (const { name, shape } of pairwiseParameterShapes(config)) {
    const w = weights.get(name);
    const n = shape.reduce((a, b) => a * b, 1);
    if (w === undefined) problems.push(`${name} is missing`);
    else if (w.length !== n) problems.push(`${name} has ${w.length} values, expected ${n} ([${shape.join(', ')}])`);
  }
  if (problems.length > 0) throw new Error(`mini-PairRM weights do not match config.json:\n  - ${problems.join('\n  - ')}`);
}
