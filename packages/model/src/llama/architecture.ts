/**
 * The one decoder's feature switches, derived from a parsed config.json (HF field names). Every
 * supported family (llama, mistral, qwen2, qwen3, gemma2) is the Llama decoder with some of these
 * switched on; the graphs (graphs/decoder.ts) and the float64 reference (reference.ts) read only
 * this object, never `model_type`, so a family is a row of switches, not a copy of the model.
 *
 * Sources (transformers, models/<family>/modeling_<family>.py and configuration_<family>.py,
 * modeling_rope_utils.py):
 * - llama: q/k/v/o bias = attention_bias, MLP bias = mlp_bias, rope_scaling of rope_type
 *   linear / dynamic / llama3 / yarn.
 * - mistral: sliding_window on every layer (a query at index i sees keys i - W < j <= i).
 * - qwen2: bias on q/k/v only (o_proj has none); sliding window on the layers
 *   i >= max_window_layers when use_sliding_window.
 * - qwen3: RMSNorm over head_dim per head on q and k (q_norm, k_norm) before RoPE; q/k/v/o bias =
 *   attention_bias; the qwen2 sliding-window switches.
 * - gemma2: embeddings x sqrt(hidden_size); RMSNorm scales by (1 + w); a norm after attention and
 *   after the MLP as well as before each; gelu_pytorch_tanh; scores scaled by
 *   query_pre_attn_scalar^-0.5 and soft-capped (cap * tanh(s / cap)); final logits soft-capped;
 *   sliding window on the even layers (layer_types "sliding_attention" when (i + 1) % 2).
 * - gemma3_text: gemma2's norms, embedding scale, activation and attention scale, plus q/k norms
 *   ((1 + w), like its other norms); soft-caps off by default; every sliding_window_pattern-th
 *   layer full, the others sliding; sliding layers rotate with rope_local_base_freq (default rope),
 *   full layers with rope_theta and rope_scaling (Gemma3TextModel's rotary_emb_local / rotary_emb).
 */
import type { LlamaGraphConfig, ModelType, RopeScaling } from './config-types.ts';

export type Activation = 'silu' | 'gelu_pytorch_tanh';

export interface Architecture {
  modelType: ModelType;
  /** Bias on q_proj, k_proj, v_proj. */
  qkvBias: boolean;
  /** Bias on o_proj. */
  oBias: boolean;
  /** Bias on gate_proj, up_proj, down_proj. */
  mlpBias: boolean;
  /** q_norm / k_norm: RMSNorm over head_dim, per head, before RoPE (qwen3). */
  qkNorm: boolean;
  /** RMSNorm multiplies by (1 + w) instead of w (gemma); its weights then start at zero. */
  normAddsOne: boolean;
  /** post_attention_layernorm after attention plus pre/post_feedforward_layernorm (gemma2). */
  sandwichNorms: boolean;
  /** The embeddings are multiplied by this (gemma: sqrt(hidden_size)); 1 elsewhere. */
  embeddingScale: number;
  /** The MLP's activation: act(gate) * up. */
  activation: Activation;
  /** Multiplies q k^T: head_dim^-0.5, or query_pre_attn_scalar^-0.5 (gemma2). */
  attentionScale: number;
  /** cap * tanh(scores / cap) before the mask (gemma2), or null. */
  attentionSoftcap: number | null;
  /** cap * tanh(logits / cap) on the LM head's output (gemma2), or null. */
  finalLogitSoftcap: number | null;
  /** Per layer: the sliding window W (a query at index i sees keys i - W < j <= i), or null. */
  layerWindows: (number | null)[];
  /** The full-attention layers' rotary frequencies (every layer's, unless ropeLocal is set). */
  rope: RopeSpec;
  /** gemma3_text: the sliding layers' own rotary frequencies, or null. */
  ropeLocal: RopeSpec | null;
}

/** The rotary frequencies layer `l` uses. */
export function ropeOfLayer(arch: Architecture, l: number): RopeSpec {
  return arch.ropeLocal !== null && (arch.layerWindows[l] ?? null) !== null ? arch.ropeLocal : arch.rope;
}

export interface RopeSpec {
  /** inv_freq[i], i < head_dim / 2 (already scaled for linear, llama3 and yarn). */
  invFreq: number[];
  /** cos and sin are multiplied by this (yarn's attention factor); 1 elsewhere. */
  attentionFactor: number;
  /**
   * Dynamic NTK (rope_type "dynamic"): the base grows with the longest position seen in the run,
   * so inv_freq is computed in the graph: inv_freq[i] * ratio^(-2i / (d - 2)) where
   * ratio = factor * seq_len / max_position_embeddings - (factor - 1) and seq_len =
   * max(max(position_ids) + 1, max_position_embeddings).
   */
  dynamic: { factor: number; maxPositionEmbeddings: number } | null;
}

/** HF `_compute_default_rope_parameters`: inv_freq[i] = theta^(-2i/d). */
function defaultInvFreq(theta: number, d: number): number[] {
  return Array.from({ length: d / 2 }, (_, i) => 1 / theta ** ((2 * i) / d));
}

/** The rotary frequencies of a config, following modeling_rope_utils.py for each rope_type. */
export function ropeSpec(config: Pick<LlamaGraphConfig, 'head_dim' | 'rope_theta' | 'rope_scaling' | 'max_position_embeddings'>): RopeSpec {
  const d = config.head_dim;
  const base = defaultInvFreq(config.rope_theta, d);
  const s: RopeScaling | null | undefined = config.rope_scaling;
  if (s === undefined || s === null || s.rope_type === 'default') return { invFreq: base, attentionFactor: 1, dynamic: null };
  switch (s.rope_type) {
    case 'linear':
      // _compute_linear_scaling_rope_parameters: positions / factor, i.e. inv_freq / factor.
      return { invFreq: base.map((f) => f / s.factor), attentionFactor: 1, dynamic: null };
    case 'dynamic':
      // _compute_dynamic_ntk_parameters reads config.max_position_embeddings; an
      // original_max_position_embeddings key is accepted by HF's validation but not used there.
      return { invFreq: base, attentionFactor: 1, dynamic: { factor: s.factor, maxPositionEmbeddings: config.max_position_embeddings ?? 2048 } };
    case 'llama3': {
      // _compute_llama3_parameters: long wavelengths divided by factor, short ones kept, a smooth
      // interpolation between the two thresholds.
      const old = s.original_max_position_embeddings as number;
      const low = s.low_freq_factor as number;
      const high = s.high_freq_factor as number;
      const lowWavelen = old / low;
      const highWavelen = old / high;
      const invFreq = base.map((f) => {
        const wavelen = (2 * Math.PI) / f;
        const scaled = wavelen > lowWavelen ? f / s.factor : f;
        if (wavelen < highWavelen || wavelen > lowWavelen) return scaled;
        const smooth = (old / wavelen - low) / (high - low);
        return ((1 - smooth) * scaled) / s.factor + smooth * scaled;
      });
      return { invFreq, attentionFactor: 1, dynamic: null };
    }
    case 'yarn': {
      // _compute_yarn_parameters: interpolation for the low frequencies, extrapolation for the
      // high ones, a linear ramp between the correction dims, and an attention factor on cos/sin.
      const factor = s.factor;
      const orig = s.original_max_position_embeddings ?? config.max_position_embeddings ?? 2048;
      const mscale = (scale: number, m = 1): number => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
      const attentionFactor =
        s.attention_factor ?? (s.mscale && s.mscale_all_dim ? mscale(factor, s.mscale) / mscale(factor, s.mscale_all_dim) : mscale(factor));
      const betaFast = s.beta_fast ?? 32;
      const betaSlow = s.beta_slow ?? 1;
      const correctionDim = (rot: number): number => (d * Math.log(orig / (rot * 2 * Math.PI))) / (2 * Math.log(config.rope_theta));
      let lo = correctionDim(betaFast);
      let hi = correctionDim(betaSlow);
      if (s.truncate ?? true) {
        lo = Math.floor(lo);
        hi = Math.ceil(hi);
      }
      lo = Math.max(lo, 0);
      hi = Math.min(hi, d - 1);
      if (lo === hi) hi += 0.001;
      const invFreq = base.map((f, i) => {
        const ramp = Math.min(1, Math.max(0, (i - lo) / (hi - lo)));
        const extrapolation = 1 - ramp;
        return (f / factor) * (1 - extrapolation) + f * extrapolation;
      });
      return { invFreq, attentionFactor, dynamic: null };
    }
  }
}

/** The sliding window of each layer, or null where the layer attends to the whole past. */
function layerWindows(config: LlamaGraphConfig, modelType: ModelType): (number | null)[] {
  const n = config.num_hidden_layers;
  const w = config.sliding_window ?? null;
  if (config.layer_types !== undefined) {
    return config.layer_types.map((t) => (t === 'sliding_attention' ? w : null));
  }
  if (w === null) return new Array<number | null>(n).fill(null);
  switch (modelType) {
    case 'mistral':
      return new Array<number | null>(n).fill(w);
    case 'qwen2':
    case 'qwen3': {
      // configuration_qwen2.py: sliding only with use_sliding_window, on layers >= max_window_layers.
      if (!config.use_sliding_window) return new Array<number | null>(n).fill(null);
      const from = config.max_window_layers ?? n;
      return Array.from({ length: n }, (_, i) => (i >= from ? w : null));
    }
    case 'gemma2':
      return Array.from({ length: n }, (_, i) => ((i + 1) % 2 === 1 ? w : null));
    case 'gemma3_text': {
      const pattern = config.sliding_window_pattern ?? 6;
      return Array.from({ length: n }, (_, i) => ((i + 1) % pattern !== 0 ? w : null));
    }
    case 'llama':
      return new Array<number | null>(n).fill(null);
  }
}

/** The switches of a config (absent family fields take HF's defaults for the family). */
export function architectureOf(config: LlamaGraphConfig): Architecture {
  const modelType = config.model_type ?? 'llama';
  const gemma = modelType === 'gemma2' || modelType === 'gemma3_text';
  const bias = config.attention_bias;
  return {
    modelType,
    qkvBias: modelType === 'qwen2' ? true : bias,
    oBias: modelType === 'qwen2' ? false : bias,
    mlpBias: config.mlp_bias ?? false,
    qkNorm: modelType === 'qwen3' || modelType === 'gemma3_text',
    normAddsOne: gemma,
    sandwichNorms: gemma,
    embeddingScale: gemma ? Math.sqrt(config.hidden_size) : 1,
    activation: config.hidden_act ?? (gemma ? 'gelu_pytorch_tanh' : 'silu'),
    attentionScale: 1 / Math.sqrt(gemma ? (config.query_pre_attn_scalar ?? config.head_dim) : config.head_dim),
    attentionSoftcap: config.attn_logit_softcapping ?? null,
    finalLogitSoftcap: config.final_logit_softcapping ?? null,
    layerWindows: layerWindows(config, modelType),
    rope: ropeSpec(config),
    ropeLocal:
      modelType === 'gemma3_text'
        ? ropeSpec({ head_dim: config.head_dim, rope_theta: config.rope_local_base_freq ?? 10_000 })
        : null,
  };
}
