/**
 * The Llama decoder as autodiff graph ops: one definition shared by the generation step (with KV
 * cache), the log-prob graph and the training steps. It follows HF transformers
 * `models/llama/modeling_llama.py`: RMSNorm, rotary embeddings (rotate-half), grouped-query
 * attention with a causal + padding mask, SwiGLU MLP, final norm, lm_head or tied embeddings.
 */
import type { Dim, GraphBuilder, Tensor } from '@sppo/autodiff';
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
}

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
  return linear(g, x, param(p, `${module}.weight`), p[`${module}.bias`]);
}

/** HF LlamaRMSNorm: x * rsqrt(mean(x^2, -1) + eps) * w (the whole graph is in one float type). */
function rmsNorm(g: GraphBuilder, x: Tensor, w: Tensor, eps: number): Tensor {
  const last = x.shape.length - 1;
  const ms = g.reduceMean(g.mul(x, x), [last], true);
  return g.mul(g.div(x, g.sqrt(g.add(ms, eps))), w);
}

/** HF rotate_half: cat(-x2, x1) on the last axis. */
function rotateHalf(g: GraphBuilder, x: Tensor, hd: number): Tensor {
  const [x1, x2] = g.split(x, [hd / 2, hd / 2], x.shape.length - 1) as [Tensor, Tensor];
  return g.concat([g.neg(x2), x1], x.shape.length - 1);
}

/**
 * cos and sin tables [B, 1, T, head_dim] computed in-graph from the positions (ENGINE-NOTES: not
 * stored): inv_freq[i] = theta^(-2i/d) (HF LlamaRotaryEmbedding, default rope type), emb =
 * cat(freqs, freqs).
 */
function rotaryTables(g: GraphBuilder, config: LlamaGraphConfig, positionIds: Tensor): { cos: Tensor; sin: Tensor } {
  const hd = headDim(config);
  const invFreq = Array.from({ length: hd / 2 }, (_, i) => 1 / config.rope_theta ** ((2 * i) / hd));
  const pos = g.unsqueeze(g.cast(positionIds, g.floatType), [2]); // [B, T, 1]
  const freqs = g.mul(pos, g.constant(invFreq, [hd / 2])); // [B, T, hd/2]
  const emb = g.unsqueeze(g.concat([freqs, freqs], 2), [1]); // [B, 1, T, hd]
  return { cos: g.cos(emb), sin: g.sin(emb) };
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
 * meaningless weights either way, and nothing reads its output.
 */
function attentionBias(g: GraphBuilder, inputIds: Tensor, attentionMask: Tensor, nRep: number): Tensor {
  const T = inputIds.shape[1] as number | string;
  const S = attentionMask.shape[1] as number | string;
  const tLen = g.dimSize(inputIds, 1);
  const sLen = g.dimSize(attentionMask, 1);
  const qPos = g.range(g.sub(sLen, tLen), sLen, 1, { size: T }); // [T]
  const kPos = g.range(0, sLen, 1, { size: S }); // [S]
  const causal = g.lessOrEqual(g.unsqueeze(kPos, [0]), g.unsqueeze(qPos, [1])); // [T, S]
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
  q: Tensor, // [B, nH, T, hd]
  k: Tensor, // [B, kv, S, hd]
  v: Tensor, // [B, kv, S, hd]
  bias: Tensor, // [B, 1, n_rep * T, S], from attentionBias
  T: Dim,
): Tensor {
  const hd = headDim(config);
  const nH = config.num_attention_heads;
  const nKv = config.num_key_value_heads;
  // 1/sqrt(hd) is applied to q rather than to the scores: the same maths on a T/hd smaller tensor.
  const qg = g.reshape(g.mul(q, 1 / Math.sqrt(hd)), [0, nKv, -1, hd]); // [B, kv, n_rep * T, hd]
  const scores = g.matmul(qg, g.transpose(k, [0, 1, 3, 2]));
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
  const hd = headDim(config);
  const nH = config.num_attention_heads;
  const nKv = config.num_key_value_heads;
  const eps = config.rms_norm_eps;
  const { cos, sin } = rotaryTables(g, config, inputs.positionIds);
  const rope = (x: Tensor): Tensor => g.add(g.mul(x, cos), g.mul(rotateHalf(g, x, hd), sin));
  const maskBias = attentionBias(g, inputs.inputIds, inputs.attentionMask, nH / nKv);

  let x = g.gather(param(p, 'model.embed_tokens.weight'), inputs.inputIds, 0); // [B, T, H]
  const presents: LayerCache[] = [];
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const pre = `model.layers.${l}`;
    const h = rmsNorm(g, x, param(p, `${pre}.input_layernorm.weight`), eps);
    const proj = (name: string): Tensor => projection(g, p, h, `${pre}.self_attn.${name}`);
    const q = rope(splitHeads(g, proj('q_proj'), nH, hd));
    let k = rope(splitHeads(g, proj('k_proj'), nKv, hd));
    let v = splitHeads(g, proj('v_proj'), nKv, hd);
    const past = inputs.past?.[l];
    if (past) {
      k = g.concat([past.key, k], 2);
      v = g.concat([past.value, v], 2);
      presents.push({ key: k, value: v });
    }
    const a = attention(g, config, q, k, v, maskBias, inputs.inputIds.shape[1] as Dim);
    x = g.add(x, projection(g, p, a, `${pre}.self_attn.o_proj`));
    const h2 = rmsNorm(g, x, param(p, `${pre}.post_attention_layernorm.weight`), eps);
    const gate = projection(g, p, h2, `${pre}.mlp.gate_proj`);
    const up = projection(g, p, h2, `${pre}.mlp.up_proj`);
    const act = g.mul(g.mul(gate, g.sigmoid(gate)), up); // SwiGLU: silu(gate) * up
    x = g.add(x, projection(g, p, act, `${pre}.mlp.down_proj`));
  }
  if (inputs.dropLastLogits) {
    const T = inputs.inputIds.shape[1];
    if (typeof T !== 'number' || T < 2) throw new Error(`llama decoder: dropLastLogits needs a fixed sequence length >= 2, got ${String(T)}`);
    x = g.slice(x, [0], [T - 1], [1]); // [B, T-1, H]: H wide, not V
  }
  const hf = rmsNorm(g, x, param(p, 'model.norm.weight'), eps);
  const head = config.tie_word_embeddings ? param(p, 'model.embed_tokens.weight') : param(p, 'lm_head.weight');
  return { logits: linear(g, hf, head), presents };
}

/**
 * Position ids from a padding mask, as transformers.js feeds them: cumsum(mask) - 1, with padded
 * positions set to 1. For right padding this is arange(T) on the real tokens, as HF training uses.
 */
export function positionIdsFromMaskGraph(g: GraphBuilder, attentionMask: Tensor): Tensor {
  const pos = g.sub(g.cumsum(attentionMask, 1), 1);
  return g.where(g.equal(attentionMask, 0), g.constant([1n], [], 'int64'), pos);
}
