/**
 * The decoder as autodiff graph ops: one definition shared by the generation step (with KV
 * cache), the log-prob graph and the training steps. It follows HF transformers
 * `models/llama/modeling_llama.py`: RMSNorm, rotary embeddings (rotate-half), grouped-query
 * attention with a causal + padding mask, gated MLP, final norm, lm_head or tied embeddings; the
 * other families (mistral, qwen2, qwen3, gemma2) are switches of the same definition, read from
 * `architectureOf(config)` (llama/architecture.ts): projection biases, q/k norms, (1 + w) norms,
 * sandwich norms, embedding scale, activation, attention scale, soft-capping, sliding windows and
 * scaled rotary frequencies.
 */
import type { Dim, GraphBuilder, Tensor } from '@sppo/autodiff';
import { architectureOf, ropeOfLayer, type Activation, type Architecture, type RopeSpec } from '../llama/architecture.ts';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { headDim, parameterShapes } from '../llama/params.ts';
import { ATTENTION_MASK_VALUE } from '../llama/reference.ts';

/** Parameter tensors by HF name. */
export type ParamTensors = Record<string, Tensor>;

/** Declares every parameter of `config` as a differentiable graph input, in parameterShapes order. */
export function declareParams(g: GraphBuilder, config: LlamaGraphConfig): ParamTensors {
  const out: ParamTensors = {};
  for (const { name, shape } of parameterShapes(config)) out[name] = g.param(name, shape);
  return out;
}

export interface LayerCache {
  key: Tensor;
  value: Tensor;
}

export interface DecoderInputs {
  /** int64 [B, T] */
  inputIds: Tensor;
  /** int64 [B, T]: rotary positions of the new tokens. */
  positionIds: Tensor;
  /** int64 [B, P + T]: 1 = attend, 0 = padding; covers the past and the new tokens. */
  attentionMask: Tensor;
  /** Per layer [B, num_key_value_heads, P, head_dim]; absent for a full forward (P = 0). */
  past?: LayerCache[];
  /**
   * Logits for positions 0..T-2 only (T must be a fixed number): what scoring reads, since the
   * last position predicts nothing in the row. The LM head then never computes (nor
   * backpropagates) the [B, V] logits of the last position, and no [B, T, V] slice is copied.
   */
  dropLastLogits?: boolean;
  /**
   * Replaces each layer's Concat(past, new) cache and attention (the sampling engine's shared-cache
   * decoder, graphs/shared-cache.ts): called with the layer's q [B, nH, T, hd] and k [B, kv, T, hd]
   * after RoPE, v [B, kv, T, hd] and its past; returns the attention output [B, T, nH * hd] and the
   * layer's present. Needs `past`.
   */
  cachedAttention?: CachedAttention;
  /** Logits for the last position only ([B, 1, vocab]): all a sampler reads after a step. */
  lastLogitsOnly?: boolean;
}

export type CachedAttention = (layer: number, q: Tensor, k: Tensor, v: Tensor, past: LayerCache) => { output: Tensor; present: LayerCache };

export interface DecoderOutputs {
  /** [B, T, vocab] ([B, T - 1, vocab] with dropLastLogits) */
  logits: Tensor;
  /** Per layer [B, num_key_value_heads, P + T, head_dim] (only when `past` was given). */
  presents: LayerCache[];
}

function param(p: ParamTensors, name: string): Tensor {
  const t = p[name];
  if (t === undefined) throw new Error(`llama decoder: parameter ${name} was not declared`);
  return t;
}

/**
 * HF Linear: y = x W^T (+ b), as one Gemm (transB) on the flattened rows. Measured on 2 CPU
 * cores, ORT's Gemm ran ~3x faster than MatMul on [B, T, in] x W^T (FusedMatMul).
 */
function linear(g: GraphBuilder, x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const inDim = x.shape[x.shape.length - 1] as number;
  const outDim = w.shape[0] as number;
  const flat = g.reshape(x, [-1, inDim]);
  const y = g.gemm(flat, w, b ? { transB: true, c: b } : { transB: true });
  return g.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/**
 * One HF `nn.Linear` module of the model, named by its module path (`model.layers.3.self_attn.q_proj`):
 * its `.weight` and, when the checkpoint declares one, its `.bias`. Every projection of the decoder
 * goes through here, so that what applies per module (a bias switch of a family, a LoRA adapter
 * keyed by the same HF module name) has one place to hook in.
 */
function projection(g: GraphBuilder, p: ParamTensors, x: Tensor, module: string): Tensor {
  const base = (): Tensor => linear(g, x, param(p, `${module}.weight`), p[`${module}.bias`]);
  const adapter = projectionAdapters.get(p);
  return adapter ? adapter(g, x, module, base) : base();
}

/**
 * An adapter on the projections (packages/model/src/lora): given a projection's input [..., in],
 * its HF module path and the plain projection (`base()`, HF Linear on the declared weight), the
 * module's output: e.g. base() plus a LoRA term, or the product with a weight held another way
 * (bfloat16 bits). Attached to a params object (withProjectionAdapter), so every graph built from
 * those params (losses, log-probs) sees it without new arguments.
 */
export type ProjectionAdapter = (g: GraphBuilder, x: Tensor, module: string, base: () => Tensor) => Tensor;
const projectionAdapters = new WeakMap<ParamTensors, ProjectionAdapter>();

/** Attaches `adapter` to the projections of every decoder built from `p`; returns `p`. */
export function withProjectionAdapter(p: ParamTensors, adapter: ProjectionAdapter): ParamTensors {
  projectionAdapters.set(p, adapter);
  return p;
}

/**
 * HF LlamaRMSNorm: x * rsqrt(mean(x^2, -1) + eps) * w, or * (1 + w) for Gemma2RMSNorm (the whole
 * graph is in one float type).
 */
function rmsNorm(g: GraphBuilder, x: Tensor, w: Tensor, eps: number, addOne = false): Tensor {
  const last = x.shape.length - 1;
  const ms = g.reduceMean(g.mul(x, x), [last], true);
  return g.mul(g.div(x, g.sqrt(g.add(ms, eps))), addOne ? g.add(w, 1) : w);
}

/** cap * tanh(x / cap): Gemma2's attention and final-logit soft-capping. */
function softcap(g: GraphBuilder, x: Tensor, cap: number | null): Tensor {
  return cap === null ? x : g.mul(g.tanh(g.mul(x, 1 / cap)), cap);
}

/** The MLP's gate activation: SiLU (x sigmoid(x)) or gelu_pytorch_tanh (HF ACT2FN). */
function activate(g: GraphBuilder, x: Tensor, activation: Activation): Tensor {
  if (activation === 'silu') return g.mul(x, g.sigmoid(x));
  // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), torch's gelu(approximate='tanh').
  const inner = g.mul(g.add(x, g.mul(g.mul(g.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
  return g.mul(g.mul(x, 0.5), g.add(g.tanh(inner), 1));
}

/** HF rotate_half: cat(-x2, x1) on the last axis. */
function rotateHalf(g: GraphBuilder, x: Tensor, hd: number): Tensor {
  const [x1, x2] = g.split(x, [hd / 2, hd / 2], x.shape.length - 1) as [Tensor, Tensor];
  return g.concat([g.neg(x2), x1], x.shape.length - 1);
}

/**
 * cos and sin tables [B, 1, T, head_dim] computed in-graph from the positions (ENGINE-NOTES: not
 * stored): inv_freq from the rope type (architecture.ts ropeSpec, HF modeling_rope_utils.py), emb
 * = cat(freqs, freqs), both scaled by the attention factor (yarn). Dynamic NTK scales inv_freq[i]
 * by ratio^(-2i / (d - 2)), ratio from the longest position of this run, as HF's
 * dynamic_rope_update recomputes it from max(position_ids) + 1.
 */
function rotaryTables(g: GraphBuilder, config: LlamaGraphConfig, rope: RopeSpec, positionIds: Tensor): { cos: Tensor; sin: Tensor } {
  const hd = headDim(config);
  const { invFreq, attentionFactor, dynamic } = rope;
  const pos = g.unsqueeze(g.cast(positionIds, g.floatType), [2]); // [B, T, 1]
  let inv = g.constant(invFreq, [hd / 2]);
  if (dynamic !== null) {
    const { factor, maxPositionEmbeddings: m } = dynamic;
    const seqLen = g.maximum(g.add(g.reduceMax(g.stopGradient(pos), [0, 1, 2], false), 1), m); // scalar
    const logRatio = g.log(g.sub(g.mul(seqLen, factor / m), factor - 1));
    const exponents = Array.from({ length: hd / 2 }, (_, i) => (-2 * i) / (hd - 2));
    inv = g.mul(inv, g.exp(g.mul(g.constant(exponents, [hd / 2]), logRatio)));
  }
  const freqs = g.mul(pos, inv); // [B, T, hd/2]
  const emb = g.unsqueeze(g.concat([freqs, freqs], 2), [1]); // [B, 1, T, hd]
  if (attentionFactor === 1) return { cos: g.cos(emb), sin: g.sin(emb) };
  return { cos: g.mul(g.cos(emb), attentionFactor), sin: g.mul(g.sin(emb), attentionFactor) };
}

/**
 * The additive attention mask, float [B, 1, n_rep * T, P + T] in the grouped layout used by
 * `attention` (query row r * T + t is query t of the r-th head of a kv group): 0 where key s is
 * visible to query t, ATTENTION_MASK_VALUE elsewhere. Query t sits at absolute index P + t; key s
 * is visible when s <= P + t and attention_mask[b, s] = 1. Built once per graph from Range ops,
 * never stored (ENGINE-NOTES), and added to every layer's scores as HF's eager attention adds its
 * causal_mask: an Add needs no Where in every layer and none in the backward pass (ENGINE-NOTES
 * profile: -8% of a 3M training step). Rows with at least one visible key get exactly the
 * softmax of the visible scores, as with a Where; a padding row that sees no key at all gets
 * meaningless weights either way, and nothing reads its output. With a sliding `window` W a key
 * is also hidden when s <= P + t - W (HF sliding_window_overlay: kv_idx > q_idx - W), both
 * indices absolute, so a KV-cache step masks the cached keys the same way as a full forward.
 */
function attentionBias(g: GraphBuilder, inputIds: Tensor, attentionMask: Tensor, nRep: number, window: number | null = null): Tensor {
  const T = inputIds.shape[1] as number | string;
  const S = attentionMask.shape[1] as number | string;
  const tLen = g.dimSize(inputIds, 1);
  const sLen = g.dimSize(attentionMask, 1);
  const qPos = g.range(g.sub(sLen, tLen), sLen, 1, { size: T }); // [T]
  const kPos = g.range(0, sLen, 1, { size: S }); // [S]
  let causal = g.lessOrEqual(g.unsqueeze(kPos, [0]), g.unsqueeze(qPos, [1])); // [T, S]
  if (window !== null) causal = g.and(causal, g.greater(g.unsqueeze(kPos, [0]), g.unsqueeze(g.sub(qPos, window), [1])));
  const notPad = g.unsqueeze(g.equal(attentionMask, 1), [1, 2]); // [B, 1, 1, S]
  const bias = g.where(g.and(causal, notPad), 0, ATTENTION_MASK_VALUE); // [B, 1, T, S]
  return nRep === 1 ? bias : g.concat(Array.from({ length: nRep }, () => bias), 2);
}

/**
 * Grouped-query attention without materialising repeated K/V (HF repeat_kv): the n_rep query heads
 * that share kv head j are stacked along the query axis, [B, kv, n_rep * T, hd], so one batched
 * MatMul per kv head serves them all. Head h = j * n_rep + r reads kv head j = h // n_rep, as HF.
 */
function attention(
  g: GraphBuilder,
  config: LlamaGraphConfig,
  arch: Architecture,
  q: Tensor, // [B, nH, T, hd]
  k: Tensor, // [B, kv, S, hd]
  v: Tensor, // [B, kv, S, hd]
  bias: Tensor, // [B, 1, n_rep * T, S], from attentionBias
  T: Dim,
): Tensor {
  const hd = headDim(config);
  const nH = config.num_attention_heads;
  const nKv = config.num_key_value_heads;
  // The scale (1/sqrt(hd), gemma2 query_pre_attn_scalar^-0.5) is applied to q rather than to the
  // scores: the same maths on a T/hd smaller tensor. Soft-capping (gemma2) comes before the mask.
  const qg = g.reshape(g.mul(q, arch.attentionScale), [0, nKv, -1, hd]); // [B, kv, n_rep * T, hd]
  const scores = softcap(g, g.matmul(qg, g.transpose(k, [0, 1, 3, 2])), arch.attentionSoftcap);
  const probs = g.softmax(g.add(scores, bias), -1);
  // T is named explicitly: the builder cannot divide a symbolic n_rep * T back into T.
  const out = g.reshape(g.matmul(probs, v), [0, nH, T, hd]); // [B, nH, T, hd]
  return g.reshape(g.transpose(out, [0, 2, 1, 3]), [0, 0, nH * hd]); // [B, T, nH * hd]
}

/** [B, T, n * hd] -> [B, n, T, hd] */
function splitHeads(g: GraphBuilder, x: Tensor, n: number, hd: number): Tensor {
  return g.transpose(g.reshape(x, [0, 0, n, hd]), [0, 2, 1, 3]);
}

/** The whole decoder: logits for every new position and, with a cache, the presents. */
export function llamaDecoder(g: GraphBuilder, config: LlamaGraphConfig, p: ParamTensors, inputs: DecoderInputs): DecoderOutputs {
  const arch = architectureOf(config);
  const hd = headDim(config);
  const nH = config.num_attention_heads;
  const nKv = config.num_key_value_heads;
  const eps = config.rms_norm_eps;
  const norm = (x: Tensor, name: string): Tensor => rmsNorm(g, x, param(p, `${name}.weight`), eps, arch.normAddsOne);
  // One cos/sin pair per distinct rope (gemma3_text: the sliding layers' local base and the full layers').
  const tables = new Map<RopeSpec, { cos: Tensor; sin: Tensor }>();
  const ropeFor = (spec: RopeSpec): ((x: Tensor) => Tensor) => {
    let t = tables.get(spec);
    if (t === undefined) tables.set(spec, (t = rotaryTables(g, config, spec, inputs.positionIds)));
    const { cos, sin } = t;
    return (x: Tensor): Tensor => g.add(g.mul(x, cos), g.mul(rotateHalf(g, x, hd), sin));
  };
  // One additive mask per distinct window (full attention, and each sliding window used).
  const masks = new Map<number | null, Tensor>();
  const maskFor = (window: number | null): Tensor => {
    let m = masks.get(window);
    if (m === undefined) masks.set(window, (m = attentionBias(g, inputs.inputIds, inputs.attentionMask, nH / nKv, window)));
    return m;
  };

  let x = g.gather(param(p, 'model.embed_tokens.weight'), inputs.inputIds, 0); // [B, T, H]
  if (arch.embeddingScale !== 1) x = g.mul(x, arch.embeddingScale); // gemma: x sqrt(hidden_size)
  const presents: LayerCache[] = [];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const pre = `model.layers.${l}`;
    const rope = ropeFor(ropeOfLayer(arch, l));
    const h = norm(x, `${pre}.input_layernorm`);
    const proj = (name: string): Tensor => projection(g, p, h, `${pre}.self_attn.${name}`);
    // qwen3: RMSNorm over head_dim of each head, before RoPE.
    const heads = (name: string, n: number): Tensor => {
      const t = splitHeads(g, proj(`${name}_proj`), n, hd);
      return arch.qkNorm ? norm(t, `${pre}.self_attn.${name}_norm`) : t;
    };
    const q = rope(heads('q', nH));
    let k = rope(heads('k', nKv));
    let v = splitHeads(g, proj('v_proj'), nKv, hd);
    const past = inputs.past?.[l];
    let a: Tensor;
    if (past && inputs.cachedAttention) {
      // The sampling engine's shared-cache graph (graphs/shared-cache.ts): cache written in place.
      const cached = inputs.cachedAttention(l, q, k, v, past);
      presents.push(cached.present);
      a = cached.output;
    } else {
      if (past) {
        k = g.concat([past.key, k], 2);
        v = g.concat([past.value, v], 2);
        presents.push({ key: k, value: v });
      }
      a = attention(g, config, arch, q, k, v, maskFor(arch.layerWindows[l] ?? null), inputs.inputIds.shape[1] as Dim);
    }
    const o = projection(g, p, a, `${pre}.self_attn.o_proj`);
    // gemma2 normalises each sublayer's output too (post_attention / post_feedforward_layernorm);
    // llama's post_attention_layernorm is the MLP's input norm instead.
    x = g.add(x, arch.sandwichNorms ? norm(o, `${pre}.post_attention_layernorm`) : o);
    const h2 = norm(x, arch.sandwichNorms ? `${pre}.pre_feedforward_layernorm` : `${pre}.post_attention_layernorm`);
    const gate = projection(g, p, h2, `${pre}.mlp.gate_proj`);
    const up = projection(g, p, h2, `${pre}.mlp.up_proj`);
    const act = g.mul(activate(g, gate, arch.activation), up); // act(gate) * up
    const down = projection(g, p, act, `${pre}.mlp.down_proj`);
    x = g.add(x, arch.sandwichNorms ? norm(down, `${pre}.post_feedforward_layernorm`) : down);
  }
  if (inputs.lastLogitsOnly) x = g.gather(x, g.constant([-1n], [1], 'int64'), 1); // [B, 1, H]: the last position
  if (inputs.dropLastLogits) {
    const T = inputs.inputIds.shape[1];
    if (typeof T !== 'number' || T < 2) throw new Error(`llama decoder: dropLastLogits needs a fixed sequence length >= 2, got ${String(T)}`);
    x = g.slice(x, [0], [T - 1], [1]); // [B, T-1, H]: H wide, not V
  }
  const hf = norm(x, 'model.norm');
  const head = config.tie_word_embeddings ? param(p, 'model.embed_tokens.weight') : param(p, 'lm_head.weight');
  return { logits: softcap(g, linear(g, hf, head), arch.finalLogitSoftcap), presents };
}

/**
 * Position ids from a padding mask, as transformers.js feeds them: cumsum(mask) - 1, with padded
 * positions set to 1. For right padding this is arange(T) on the real tokens, as HF training uses.
 */
export function positionIdsFromMaskGraph(g: GraphBuilder, attentionMask: Tensor): Tensor {
  const pos = g.sub(g.cumsum(attentionMask, 1), 1);
  return g.where(g.equal(attentionMask, 0), g.constant([1n], [], 'int64'), pos);
}
