/**
 * The policy's `config.json` for the decoder families one model definition covers (llama,
 * mistral, qwen2, qwen3, gemma2, gemma3_text): HF transformers' configuration classes
 * (models/<family>/configuration_<family>.py) with HF's field names and each family's defaults
 * for absent keys, so a checkpoint written by HF loads here and ours loads there.
 *
 * Parsing collects every problem before reporting (STYLE 7), and refuses fields that would change
 * the maths in ways the graphs do not implement (an unknown rope type or rope key, another
 * activation, partial rotary, dropout) by name instead of silently computing a different model.
 * llama/architecture.ts turns the parsed fields into the decoder's switches.
 */

/** The decoder families one model definition covers (llama/architecture.ts has their switches). */
export type ModelType = 'llama' | 'mistral' | 'qwen2' | 'qwen3' | 'gemma2' | 'gemma3_text';
export const MODEL_TYPES: readonly ModelType[] = ['llama', 'mistral', 'qwen2', 'qwen3', 'gemma2', 'gemma3_text'];

/** HF `rope_scaling` (modeling_rope_utils.py) for the rope types the graphs implement. */
export interface RopeScaling {
  rope_type: 'default' | 'linear' | 'dynamic' | 'llama3' | 'yarn';
  factor: number;
  original_max_position_embeddings?: number;
  /** llama3 */
  low_freq_factor?: number;
  high_freq_factor?: number;
  /** yarn */
  attention_factor?: number;
  beta_fast?: number;
  beta_slow?: number;
  mscale?: number;
  mscale_all_dim?: number;
  truncate?: boolean;
}

export type LayerType = 'full_attention' | 'sliding_attention';

/** The fields the graphs and the I/O code read. Names are HF's, exactly. */
export interface LlamaConfig {
  /** Absent means "llama" (configs built in code before the families existed). */
  model_type?: ModelType;
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  /** Always set after parsing: HF derives hidden_size / num_attention_heads when absent. */
  head_dim: number;
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  attention_bias: boolean;
  bos_token_id: number;
  /** Several ids when more than one token ends generation (Llama-3-Instruct style). */
  eos_token_id: number | number[];
  pad_token_id?: number;
  initializer_range: number;
  /** The dtype of the weights on disk: a checkpoint is written back in it (F32, F16 or BF16). */
  torch_dtype: string;
  /** Set when rope_scaling (or rope_parameters) asks for a non-default rope type. */
  rope_scaling?: RopeScaling;
  /** llama: bias on gate/up/down. */
  mlp_bias?: boolean;
  /** Set when it differs from the family's default activation (silu; gemma2: gelu_pytorch_tanh). */
  hidden_act?: 'silu' | 'gelu_pytorch_tanh';
  /** mistral, qwen2, qwen3, gemma2: the window W of sliding layers (null: none). */
  sliding_window?: number | null;
  /** qwen2, qwen3: sliding window only when true, on layers >= max_window_layers. */
  use_sliding_window?: boolean;
  max_window_layers?: number;
  /** Newer transformers: the attention kind of every layer, overriding the family's pattern. */
  layer_types?: LayerType[];
  /** gemma2: scores are scaled by query_pre_attn_scalar^-0.5. */
  query_pre_attn_scalar?: number;
  /** gemma2 (default 50 / 30), gemma3_text (default off): cap * tanh(x / cap) on attention scores and on the final logits (null: off). */
  attn_logit_softcapping?: number | null;
  final_logit_softcapping?: number | null;
  /** gemma3_text: the sliding layers' RoPE base (default rope type); rope_theta (+ rope_scaling) is the full layers'. */
  rope_local_base_freq?: number;
  /** gemma3_text: every n-th layer is full attention, the others sliding (layer_types overrides it). */
  sliding_window_pattern?: number;
}

/** The transformers release whose config format we write (any 4.4x+ reads it). */
export const TRANSFORMERS_VERSION = '4.46.0';

/** What each family's configuration class defaults an absent key to (configuration_<family>.py). */
interface FamilyDefaults {
  architecture: string;
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean;
  bos_token_id: number | undefined;
  eos_token_id: number | undefined;
  pad_token_id?: number;
  head_dim?: number;
  hidden_act: 'silu' | 'gelu_pytorch_tanh';
  /** undefined: the family has no sliding window. */
  sliding_window?: number | null;
}

const FAMILIES: Record<ModelType, FamilyDefaults> = {
  llama: { architecture: 'LlamaForCausalLM', rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 2048, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu' },
  mistral: { architecture: 'MistralForCausalLM', rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 4096 * 32, tie_word_embeddings: false, bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu', sliding_window: 4096 },
  qwen2: { architecture: 'Qwen2ForCausalLM', rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 32768, tie_word_embeddings: false, bos_token_id: undefined, eos_token_id: undefined, hidden_act: 'silu', sliding_window: 4096 },
  qwen3: { architecture: 'Qwen3ForCausalLM', rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 32768, tie_word_embeddings: false, bos_token_id: undefined, eos_token_id: undefined, head_dim: 128, hidden_act: 'silu', sliding_window: 4096 },
  gemma2: { architecture: 'Gemma2ForCausalLM', rms_norm_eps: 1e-6, rope_theta: 10000, max_position_embeddings: 8192, tie_word_embeddings: true, bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, head_dim: 256, hidden_act: 'gelu_pytorch_tanh', sliding_window: 4096 },
  gemma3_text: { architecture: 'Gemma3ForCausalLM', rms_norm_eps: 1e-6, rope_theta: 1_000_000, max_position_embeddings: 131_072, tie_word_embeddings: true, bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, head_dim: 256, hidden_act: 'gelu_pytorch_tanh', sliding_window: 4096 },
};

/** Defaults shared by every family. */
const COMMON_DEFAULTS = { attention_bias: false, initializer_range: 0.02, torch_dtype: 'float32' } as const;

const ACTIVATIONS = ['silu', 'gelu_pytorch_tanh'] as const;
const ROPE_TYPES = ['default', 'linear', 'dynamic', 'llama3', 'yarn'] as const;

type Json = Record<string, unknown>;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Validates rope_scaling (or a non-default rope_parameters) of the implemented rope types. */
function parseRopeScaling(raw: unknown, key: string, problems: string[]): RopeScaling | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push(`${key} must be an object or null, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  const r = raw as Json;
  const type = r.rope_type ?? r.type;
  if (!ROPE_TYPES.includes(type as (typeof ROPE_TYPES)[number])) {
    problems.push(`${key}.rope_type ${JSON.stringify(type)} is not supported; valid values: ${ROPE_TYPES.join(', ')}`);
    return undefined;
  }
  if (type === 'default') return undefined;
  const num = (name: string, required: boolean, positive = true): number | undefined => {
    const v = r[name];
    if (v === undefined || v === null) {
      if (required) problems.push(`${key}.${name} is required for rope_type "${String(type)}"`);
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
      problems.push(`${key}.${name} must be a positive number, got ${JSON.stringify(v)}`);
      return undefined;
    }
    return v;
  };
  const out: RopeScaling = { rope_type: type as RopeScaling['rope_type'], factor: num('factor', true) ?? 1 };
  const known = new Set(['rope_type', 'type', 'factor', 'original_max_position_embeddings', 'rope_theta']);
  const optional = (name: keyof RopeScaling, required = false): void => {
    known.add(name);
    const v = num(name, required);
    if (v !== undefined) (out as unknown as Record<string, number>)[name] = v;
  };
  optional('original_max_position_embeddings', type === 'llama3');
  if (type === 'llama3') {
    optional('low_freq_factor', true);
    optional('high_freq_factor', true);
    if ((out.high_freq_factor ?? 2) <= (out.low_freq_factor ?? 1)) {
      problems.push(`${key}.high_freq_factor must be greater than low_freq_factor`);
    }
  }
  if (type === 'yarn') {
    for (const name of ['attention_factor', 'beta_fast', 'beta_slow', 'mscale', 'mscale_all_dim'] as const) optional(name);
    known.add('truncate');
    if (r.truncate !== undefined) {
      if (typeof r.truncate !== 'boolean') problems.push(`${key}.truncate must be true or false, got ${JSON.stringify(r.truncate)}`);
      else out.truncate = r.truncate;
    }
  }
  // A key this implementation does not read would be a silent change of the maths: refuse it.
  for (const name of Object.keys(r)) {
    if (!known.has(name)) problems.push(`${key}.${name} is not supported for rope_type "${String(type)}" (it is not implemented)`);
  }
  return out;
}

/**
 * Validates a parsed `config.json` object of a supported family (MODEL_TYPES) and returns a
 * complete `LlamaConfig`. Throws one Error listing every problem, each with the valid values.
 * A field that would change the maths and is not implemented is refused by name.
 */
export function parseLlamaConfig(json: unknown): LlamaConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`config.json must be a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const c = json as Json;
  const problems: string[] = [];

  const modelType = (MODEL_TYPES as readonly unknown[]).includes(c.model_type) ? (c.model_type as ModelType) : undefined;
  if (modelType === undefined) {
    problems.push(`model_type is ${JSON.stringify(c.model_type)}; supported: ${MODEL_TYPES.map((t) => JSON.stringify(t)).join(', ')}`);
  }
  const family = FAMILIES[modelType ?? 'llama'];
  if (c.architectures !== undefined && c.architectures !== null) {
    if (!Array.isArray(c.architectures) || !c.architectures.includes(family.architecture)) {
      problems.push(`architectures is ${JSON.stringify(c.architectures)}; expected it to contain "${family.architecture}"`);
    }
  }

  const positiveInt = (key: string, fallback?: number): number => {
    const v = c[key] ?? fallback;
    if (!isInt(v) || v <= 0) {
      problems.push(`${key} must be a positive integer, got ${JSON.stringify(c[key])}`);
      // NaN keeps checks that depend on this field quiet, so only the root cause is reported.
      return NaN;
    }
    return v;
  };
  const positiveNumber = (key: string, fallback: number, value: unknown = c[key]): number => {
    const v = value ?? fallback;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      problems.push(`${key} must be a positive finite number, got ${JSON.stringify(value)}`);
      return fallback;
    }
    return v;
  };
  const optionalPositive = (key: string, fallback: number | null): number | null => {
    const v = c[key] === undefined ? fallback : c[key];
    if (v === null) return null;
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      problems.push(`${key} must be a positive number or null, got ${JSON.stringify(v)}`);
      return null;
    }
    return v;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = c[key] ?? fallback;
    if (typeof v !== 'boolean') {
      problems.push(`${key} must be true or false, got ${JSON.stringify(c[key])}`);
      return fallback;
    }
    return v;
  };
  const tokenId = (key: string, v: unknown): boolean => {
    if (isInt(v) && v >= 0) return true;
    problems.push(`${key} must be a non-negative integer token id, got ${JSON.stringify(v)}`);
    return false;
  };
  const refuse = (key: string, allowed: unknown[], why: string): void => {
    if (c[key] !== undefined && c[key] !== null && !allowed.includes(c[key])) {
      problems.push(`${key} ${JSON.stringify(c[key])} is not supported (${why}); valid values: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    }
  };

  const vocab_size = positiveInt('vocab_size');
  const hidden_size = positiveInt('hidden_size');
  const intermediate_size = positiveInt('intermediate_size');
  const num_hidden_layers = positiveInt('num_hidden_layers');
  const num_attention_heads = positiveInt('num_attention_heads');
  // HF: num_key_value_heads = num_attention_heads when absent (plain multi-head attention).
  const num_key_value_heads = positiveInt('num_key_value_heads', num_attention_heads);
  if (num_attention_heads % num_key_value_heads > 0) {
    problems.push(
      `num_attention_heads (${num_attention_heads}) must be a multiple of num_key_value_heads ` +
        `(${num_key_value_heads}) for grouped-query attention`,
    );
  }
  let head_dim: number;
  if ((c.head_dim === undefined || c.head_dim === null) && family.head_dim === undefined) {
    head_dim = hidden_size / num_attention_heads;
    if (!Number.isInteger(head_dim) && Number.isFinite(head_dim)) {
      problems.push(
        `hidden_size (${hidden_size}) is not a multiple of num_attention_heads (${num_attention_heads}); ` +
          'set head_dim explicitly',
      );
      head_dim = 2;
    }
  } else {
    head_dim = positiveInt('head_dim', family.head_dim);
  }
  if (head_dim % 2 > 0) problems.push(`head_dim must be even for rotary embeddings, got ${head_dim}`);

  // transformers >= 4.5x moves rope_theta and the scaling into `rope_parameters`.
  let ropeThetaValue: unknown = c.rope_theta;
  let rope_scaling: RopeScaling | undefined;
  const ropeParameters = c.rope_parameters;
  if (ropeParameters !== undefined && ropeParameters !== null) {
    if (ropeThetaValue === undefined && typeof ropeParameters === 'object') ropeThetaValue = (ropeParameters as Json).rope_theta;
    rope_scaling = parseRopeScaling(ropeParameters, 'rope_parameters', problems);
  }
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) rope_scaling = parseRopeScaling(c.rope_scaling, 'rope_scaling', problems);
  refuse('partial_rotary_factor', [1], 'RoPE on part of head_dim is not implemented');
  refuse('use_bidirectional_attention', [false], 'bidirectional attention (an embedding model) is not a causal decoder');

  // Gemma2Config names it hidden_activation (its config.json also carries hidden_act).
  const gemma = modelType === 'gemma2' || modelType === 'gemma3_text';
  const act = (gemma ? (c.hidden_activation ?? c.hidden_act) : c.hidden_act) ?? family.hidden_act;
  if (!ACTIVATIONS.includes(act as (typeof ACTIVATIONS)[number])) {
    problems.push(`hidden_act ${JSON.stringify(act)} is not supported; valid values: ${ACTIVATIONS.map((a) => JSON.stringify(a)).join(', ')}`);
  }
  if (modelType === 'llama') bool('mlp_bias', false);
  else refuse('mlp_bias', [false], `${modelType ?? 'this family'} has no MLP bias`);
  const mlp_bias = modelType === 'llama' && c.mlp_bias === true;
  const dropout = c.attention_dropout ?? 0;
  if (dropout !== 0) {
    problems.push(`attention_dropout ${JSON.stringify(dropout)} is not supported (no dropout); valid values: 0`);
  }

  const rms_norm_eps = positiveNumber('rms_norm_eps', family.rms_norm_eps);
  const rope_theta = positiveNumber('rope_theta', family.rope_theta, ropeThetaValue);
  const max_position_embeddings = positiveInt('max_position_embeddings', family.max_position_embeddings);
  const initializer_range = positiveNumber('initializer_range', COMMON_DEFAULTS.initializer_range);
  const tie_word_embeddings = bool('tie_word_embeddings', family.tie_word_embeddings);
  // Qwen2Attention hard-codes bias on q/k/v (none on o_proj) and MistralAttention has none: their
  // configuration classes have no attention_bias, so the key is ignored there, as HF does.
  const attention_bias = modelType === 'qwen2' || modelType === 'mistral' ? false : bool('attention_bias', COMMON_DEFAULTS.attention_bias);

  const bos = c.bos_token_id === undefined ? family.bos_token_id : c.bos_token_id;
  tokenId('bos_token_id', bos);
  const eos = c.eos_token_id === undefined ? family.eos_token_id : c.eos_token_id;
  if (Array.isArray(eos)) {
    if (eos.length === 0) problems.push('eos_token_id must not be an empty list');
    eos.forEach((id, i) => tokenId(`eos_token_id[${i}]`, id));
  } else {
    tokenId('eos_token_id', eos);
  }
  const pad = c.pad_token_id === undefined ? family.pad_token_id : c.pad_token_id;
  if (pad !== undefined && pad !== null) tokenId('pad_token_id', pad);
  for (const [key, id] of [['bos_token_id', bos], ['pad_token_id', pad]] as const) {
    if (isInt(id) && id >= vocab_size) problems.push(`${key} ${id} is outside the vocabulary (vocab_size ${vocab_size})`);
  }
  for (const id of Array.isArray(eos) ? eos : [eos]) {
    if (isInt(id) && id >= vocab_size) problems.push(`eos_token_id ${id} is outside the vocabulary (vocab_size ${vocab_size})`);
  }

  // Newer transformers writes `dtype`; older `torch_dtype`.
  const dtype = c.torch_dtype ?? c.dtype ?? COMMON_DEFAULTS.torch_dtype;
  if (typeof dtype !== 'string' || !TORCH_DTYPES.includes(dtype)) {
    problems.push(`torch_dtype ${JSON.stringify(dtype)} is not supported; valid values: ${TORCH_DTYPES.join(', ')}`);
  }

  const config: LlamaConfig = {
    model_type: modelType ?? 'llama',
    vocab_size,
    hidden_size,
    intermediate_size,
    num_hidden_layers,
    num_attention_heads,
    num_key_value_heads,
    head_dim,
    rms_norm_eps,
    rope_theta,
    max_position_embeddings,
    tie_word_embeddings,
    attention_bias,
    bos_token_id: bos as number,
    eos_token_id: Array.isArray(eos) ? [...(eos as number[])] : (eos as number),
    initializer_range,
    torch_dtype: dtype as string,
  };
  if (isInt(pad)) config.pad_token_id = pad;
  if (rope_scaling !== undefined) config.rope_scaling = rope_scaling;
  if (mlp_bias) config.mlp_bias = true;
  if (act !== family.hidden_act && ACTIVATIONS.includes(act as (typeof ACTIVATIONS)[number])) config.hidden_act = act as LlamaConfig['hidden_act'];
  parseAttentionPattern(c, modelType, family, config, problems, { optionalPositive, positiveInt, bool });
  if (problems.length > 0) {
    throw new Error(`Invalid ${modelType ?? 'model'} config.json (${problems.length} problem(s)):\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}

/** The torch dtypes a checkpoint may declare (and is written back in). */
export const TORCH_DTYPES = ['float32', 'float16', 'bfloat16', 'float64'];

/** The sliding-window and gemma2 attention fields, set on `config` for the families that have them. */
function parseAttentionPattern(
  c: Json,
  modelType: ModelType | undefined,
  family: FamilyDefaults,
  config: LlamaConfig,
  problems: string[],
  read: {
    optionalPositive: (key: string, fallback: number | null) => number | null;
    positiveInt: (key: string, fallback?: number) => number;
    bool: (key: string, fallback: boolean) => boolean;
  },
): void {
  if (family.sliding_window === undefined || modelType === undefined) {
    if (c.sliding_window !== undefined && c.sliding_window !== null && modelType !== 'llama') {
      problems.push('sliding_window is not supported for this model_type');
    }
    if (c.layer_types !== undefined && c.layer_types !== null) {
      const all = Array.isArray(c.layer_types) && c.layer_types.every((t) => t === 'full_attention');
      if (!all) problems.push(`layer_types ${JSON.stringify(c.layer_types)}: ${modelType} has no sliding-window layers; valid values: "full_attention"`);
    }
    return;
  }
  const w = read.optionalPositive('sliding_window', family.sliding_window);
  if (w !== null && !Number.isInteger(w)) problems.push(`sliding_window must be an integer, got ${w}`);
  config.sliding_window = w;
  if (modelType === 'qwen2' || modelType === 'qwen3') {
    config.use_sliding_window = read.bool('use_sliding_window', false);
    config.max_window_layers = read.positiveInt('max_window_layers', 28);
    // Qwen2Config / Qwen3Config: `self.sliding_window = sliding_window if use_sliding_window else None`.
    if (!config.use_sliding_window) config.sliding_window = null;
  }
  if (modelType === 'gemma2' || modelType === 'gemma3_text') {
    const gemma2 = modelType === 'gemma2';
    config.query_pre_attn_scalar = read.optionalPositive('query_pre_attn_scalar', 256) ?? 256;
    config.attn_logit_softcapping = read.optionalPositive('attn_logit_softcapping', gemma2 ? 50.0 : null);
    config.final_logit_softcapping = read.optionalPositive('final_logit_softcapping', gemma2 ? 30.0 : null);
  }
  if (modelType === 'gemma3_text') {
    config.rope_local_base_freq = read.optionalPositive('rope_local_base_freq', 10_000) ?? 10_000;
    config.sliding_window_pattern = read.positiveInt('sliding_window_pattern', 6);
  }
  if (c.layer_types !== undefined && c.layer_types !== null) {
    const lt = c.layer_types;
    if (!Array.isArray(lt) || lt.length !== config.num_hidden_layers || !lt.every((t) => t === 'full_attention' || t === 'sliding_attention')) {
      problems.push(
        `layer_types must list "full_attention" or "sliding_attention" for each of the ${config.num_hidden_layers} layers, got ${JSON.stringify(lt)}`,
      );
    } else {
      config.layer_types = [...(lt as LayerType[])];
      if (w === null && lt.includes('sliding_attention')) problems.push('layer_types has "sliding_attention" layers but sliding_window is null');
    }
  }
}

/**
 * A `config.json` object that HF transformers (`AutoConfig`, `<Family>ForCausalLM.from_pretrained`)
 * and transformers.js accept, in the family's own layout. torch_dtype is the dtype the weights are
 * written in (the source checkpoint's by default).
 */
export function llamaConfigToJson(config: LlamaConfig): Record<string, unknown> {
  const modelType = config.model_type ?? 'llama';
  const family = FAMILIES[modelType];
  const act = config.hidden_act ?? family.hidden_act;
  const out: Record<string, unknown> = {
    architectures: [family.architecture],
    model_type: modelType,
    vocab_size: config.vocab_size,
    hidden_size: config.hidden_size,
    intermediate_size: config.intermediate_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    num_key_value_heads: config.num_key_value_heads,
    head_dim: config.head_dim,
    hidden_act: act,
    rms_norm_eps: config.rms_norm_eps,
    rope_theta: config.rope_theta,
    rope_scaling: config.rope_scaling ?? null,
    max_position_embeddings: config.max_position_embeddings,
    tie_word_embeddings: config.tie_word_embeddings,
    attention_dropout: 0.0,
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    pad_token_id: config.pad_token_id ?? null,
    initializer_range: config.initializer_range,
    torch_dtype: config.torch_dtype,
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
  };
  if (modelType !== 'qwen2' && modelType !== 'mistral') out.attention_bias = config.attention_bias;
  if (modelType === 'llama') {
    out.mlp_bias = config.mlp_bias ?? false;
    out.pretraining_tp = 1;
  }
  if (modelType !== 'llama') out.sliding_window = config.sliding_window ?? null;
  if (modelType === 'qwen2' || modelType === 'qwen3') {
    out.use_sliding_window = config.use_sliding_window ?? false;
    out.max_window_layers = config.max_window_layers ?? config.num_hidden_layers;
  }
  if (modelType === 'gemma2' || modelType === 'gemma3_text') {
    out.hidden_activation = act;
    out.query_pre_attn_scalar = config.query_pre_attn_scalar ?? config.head_dim;
    out.attn_logit_softcapping = config.attn_logit_softcapping ?? null;
    out.final_logit_softcapping = config.final_logit_softcapping ?? null;
    out.cache_implementation = 'hybrid';
  }
  if (modelType === 'gemma3_text') {
    out.rope_local_base_freq = config.rope_local_base_freq ?? 10_000;
    out.sliding_window_pattern = config.sliding_window_pattern ?? 6;
  }
  if (config.layer_types !== undefined) out.layer_types = [...config.layer_types];
  return out;
}
