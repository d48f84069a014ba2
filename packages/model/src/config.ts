/**
 * The policy's `config.json`: HF transformers' `LlamaConfig` (models/llama/configuration_llama.py)
 * with HF's field names, so a checkpoint written by HF loads here and ours loads there.
 *
 * Parsing collects every problem before reporting (STYLE 7), and refuses fields that would change
 * the maths in ways the graphs do not implement (rope_scaling, mlp_bias, a non-SiLU activation)
 * instead of silently computing a different model.
 */

/** The fields the graphs and the I/O code read. Names are HF's, exactly. */
export interface LlamaConfig {
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
  /** Informational: weights are always loaded as float32; ours are written as float32. */
  torch_dtype: string;
}

/** The transformers release whose config format we write (any 4.4x+ reads it). */
export const TRANSFORMERS_VERSION = '4.46.0';

/** HF LlamaConfig defaults for the optional fields (configuration_llama.py). */
const HF_DEFAULTS = {
  rms_norm_eps: 1e-6,
  rope_theta: 10000,
  max_position_embeddings: 2048,
  tie_word_embeddings: false,
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  initializer_range: 0.02,
  torch_dtype: 'float32',
} as const;

type Json = Record<string, unknown>;

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/**
 * Validates a parsed `config.json` object and returns a complete `LlamaConfig`.
 * Throws one Error listing every problem, each with the valid values and how to fix it.
 */
export function parseLlamaConfig(json: unknown): LlamaConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`config.json must be a JSON object, got ${Array.isArray(json) ? 'an array' : typeof json}`);
  }
  const c = json as Json;
  const problems: string[] = [];

  if (c.model_type !== 'llama') {
    problems.push(
      `model_type is ${JSON.stringify(c.model_type)}; only "llama" (LlamaForCausalLM) is supported`,
    );
  }
  if (c.architectures !== undefined && c.architectures !== null) {
    if (!Array.isArray(c.architectures) || !c.architectures.includes('LlamaForCausalLM')) {
      problems.push(
        `architectures is ${JSON.stringify(c.architectures)}; expected it to contain "LlamaForCausalLM"`,
      );
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
  if (c.head_dim === undefined || c.head_dim === null) {
    head_dim = hidden_size / num_attention_heads;
    if (!Number.isInteger(head_dim) && Number.isFinite(head_dim)) {
      problems.push(
        `hidden_size (${hidden_size}) is not a multiple of num_attention_heads (${num_attention_heads}); ` +
          'set head_dim explicitly',
      );
      head_dim = 2;
    }
  } else {
    head_dim = positiveInt('head_dim');
  }
  if (head_dim % 2 > 0) problems.push(`head_dim must be even for rotary embeddings, got ${head_dim}`);

  // transformers >= 4.5x moves rope_theta into `rope_parameters`; accept the default rope type.
  let ropeThetaValue: unknown = c.rope_theta;
  const ropeParameters = c.rope_parameters;
  if (ropeParameters !== undefined && ropeParameters !== null) {
    const rp = ropeParameters as Json;
    if (typeof rp !== 'object' || (rp.rope_type !== undefined && rp.rope_type !== 'default')) {
      problems.push(
        `rope_parameters ${JSON.stringify(ropeParameters)} is not supported; only rope_type "default" ` +
          '(plain RoPE with rope_theta) is implemented',
      );
    } else if (ropeThetaValue === undefined) {
      ropeThetaValue = rp.rope_theta;
    }
  }
  if (c.rope_scaling !== undefined && c.rope_scaling !== null) {
    problems.push(
      `rope_scaling ${JSON.stringify(c.rope_scaling)} is not supported (linear/dynamic/llama3/yarn ` +
        'scaling are not implemented); use a checkpoint with "rope_scaling": null',
    );
  }
  const hiddenAct = c.hidden_act ?? 'silu';
  if (hiddenAct !== 'silu') {
    problems.push(`hidden_act ${JSON.stringify(hiddenAct)} is not supported; valid values: "silu"`);
  }
  if (c.mlp_bias !== undefined && c.mlp_bias !== false) {
    problems.push(`mlp_bias ${JSON.stringify(c.mlp_bias)} is not supported; valid values: false`);
  }
  const dropout = c.attention_dropout ?? 0;
  if (dropout !== 0) {
    problems.push(`attention_dropout ${JSON.stringify(dropout)} is not supported (no dropout); valid values: 0`);
  }

  const rms_norm_eps = positiveNumber('rms_norm_eps', HF_DEFAULTS.rms_norm_eps);
  const rope_theta = positiveNumber('rope_theta', HF_DEFAULTS.rope_theta, ropeThetaValue);
  const max_position_embeddings = positiveInt('max_position_embeddings', HF_DEFAULTS.max_position_embeddings);
  const initializer_range = positiveNumber('initializer_range', HF_DEFAULTS.initializer_range);
  const tie_word_embeddings = bool('tie_word_embeddings', HF_DEFAULTS.tie_word_embeddings);
  const attention_bias = bool('attention_bias', HF_DEFAULTS.attention_bias);

  const bos = c.bos_token_id === undefined ? HF_DEFAULTS.bos_token_id : c.bos_token_id;
  tokenId('bos_token_id', bos);
  const eos = c.eos_token_id === undefined ? HF_DEFAULTS.eos_token_id : c.eos_token_id;
  if (Array.isArray(eos)) {
    if (eos.length === 0) problems.push('eos_token_id must not be an empty list');
    eos.forEach((id, i) => tokenId(`eos_token_id[${i}]`, id));
  } else {
    tokenId('eos_token_id', eos);
  }
  const pad = c.pad_token_id;
  if (pad !== undefined && pad !== null) tokenId('pad_token_id', pad);
  for (const [key, id] of [['bos_token_id', bos], ['pad_token_id', pad]] as const) {
    if (isInt(id) && id >= vocab_size) problems.push(`${key} ${id} is outside the vocabulary (vocab_size ${vocab_size})`);
  }
  for (const id of Array.isArray(eos) ? eos : [eos]) {
    if (isInt(id) && id >= vocab_size) problems.push(`eos_token_id ${id} is outside the vocabulary (vocab_size ${vocab_size})`);
  }

  // Newer transformers writes `dtype`; older `torch_dtype`.
  const dtype = c.torch_dtype ?? c.dtype ?? HF_DEFAULTS.torch_dtype;
  const validDtypes = ['float32', 'float16', 'bfloat16', 'float64'];
  if (typeof dtype !== 'string' || !validDtypes.includes(dtype)) {
    problems.push(`torch_dtype ${JSON.stringify(dtype)} is not supported; valid values: ${validDtypes.join(', ')}`);
  }

  if (problems.length > 0) {
    throw new Error(
      `Invalid Llama config.json (${problems.length} problem(s)):\n  - ${problems.join('\n  - ')}`,
    );
  }
  const config: LlamaConfig = {
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
  return config;
}

/**
 * A `config.json` object that HF transformers (`AutoConfig`, `LlamaForCausalLM.from_pretrained`)
 * and transformers.js accept. torch_dtype is 'float32' because our safetensors are float32.
 */
export function llamaConfigToJson(config: LlamaConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: config.vocab_size,
    hidden_size: config.hidden_size,
    intermediate_size: config.intermediate_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    num_key_value_heads: config.num_key_value_heads,
    head_dim: config.head_dim,
    hidden_act: 'silu',
    rms_norm_eps: config.rms_norm_eps,
    rope_theta: config.rope_theta,
    rope_scaling: null,
    max_position_embeddings: config.max_position_embeddings,
    tie_word_embeddings: config.tie_word_embeddings,
    attention_bias: config.attention_bias,
    attention_dropout: 0.0,
    mlp_bias: false,
    pretraining_tp: 1,
    bos_token_id: config.bos_token_id,
    eos_token_id: config.eos_token_id,
    pad_token_id: config.pad_token_id ?? null,
    initializer_range: config.initializer_range,
    torch_dtype: 'float32',
    transformers_version: TRANSFORMERS_VERSION,
    use_cache: true,
  };
}
