/**
 * The mini-PairRM graph: a bidirectional transformer encoder and PairRM's pairwise head
 * (SPPO-REFERENCE 3.1; llm_blender pair_ranker/pairrm.py `DebertaV2PairRM.forward`):
 *
 *   h = encoder(input_ids, attention_mask)               last hidden states [B, T, H]
 *   h_src, h_c1, h_c2 = h at <|source|>, <|candidate1|>, <|candidate2|>
 *   logit = MLP([h_src; h_c1]) - MLP([h_src; h_c2]),     MLP = Linear(2H->H) -> Tanh -> Linear(H->1)
 *
 * Blocks are Llama's (pre-RMSNorm, RoPE, SwiGLU) but attention is NOT causal: every token sees
 * every real token, so h_c1 can read candidate 2 and the head can represent intransitive
 * preferences (a causal h_c1 would never see c2). The graph finds the marker positions itself
 * (input_ids == id, then a one-hot matmul), as DebertaV2PairRM does with torch.where, so callers
 * feed only input_ids and attention_mask; the last layer runs only at those three positions. Dropout is off (inference and our training alike).
 *
 * One addition to Llama's blocks: a BERT-style segment embedding (token types source / candidate 1
 * / candidate 2), derived in-graph from the running count of [CLS] tokens, so it needs no extra
 * input. A model trained from scratch cannot lean on pretraining to tell the two candidates apart;
 * with RoPE alone (relative positions) attention cannot tell which candidate a token belongs to, and
 * training on the synthetic tasks stalled at chance until the segments were added.
 */
import type { Dim, GraphBuilder, Operand, Tensor } from '@sppo/autodiff';
import { pairwiseParameterShapes, SEGMENTS, type MiniPairRMConfig } from './config.ts';

/**
 * Added to the scores of padding keys. It rides inside the score matmul (below), whose backward
 * multiplies it by the score gradients, so it stays moderate: every query sees a real key, and
 * exp(-1e9 - max) is exactly 0 in float32 already.
 */
const PADDING_KEY_BIAS = -1e9;

export type PairwiseParamTensors = Record<string, Tensor>;

export function declarePairwiseParams(g: GraphBuilder, config: MiniPairRMConfig): PairwiseParamTensors {
  const out: PairwiseParamTensors = {};
  for (const { name, shape } of pairwiseParameterShapes(config)) out[name] = g.param(name, shape);
  return out;
}

function param(p: PairwiseParamTensors, name: string): Tensor {
  const t = p[name];
  if (t === undefined) throw new Error(`mini-PairRM graph: parameter ${name} was not declared`);
  return t;
}

/** y = x W^T (+ b) as one Gemm on flattened rows (faster than MatMul on ORT CPU; see llama decoder). */
function linear(g: GraphBuilder, x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const inDim = x.shape[x.shape.length - 1] as number;
  const outDim = w.shape[0] as number;
  const y = g.gemm(g.reshape(x, [-1, inDim]), w, b ? { transB: true, c: b } : { transB: true });
  return g.reshape(y, [...x.shape.slice(0, -1), outDim]);
}

/**
 * x / sqrt(mean(x^2) + eps) * w, written as Pow -> ReduceMean -> Add -> Sqrt -> Div -> Mul: the
 * pattern ORT's SimplifiedLayerNormFusion turns into one SimplifiedLayerNormalization kernel (with
 * Mul(x, x) the fusion does not fire and six elementwise passes run).
 */
function rmsNorm(g: GraphBuilder, x: Tensor, w: Tensor, eps: number): Tensor {
  const last = x.shape.length - 1;
  return g.mul(g.div(x, g.sqrt(g.add(g.reduceMean(g.pow(x, 2), [last], true), eps))), w);
}

export interface PairwiseGraphInputs {
  /** int64 [B, T], right-padded */
  inputIds: Tensor;
  /** int64 [B, T], 1 = real token */
  attentionMask: Tensor;
}

/**
 * The encoder's layers. With `select` (a one-hot [B, S, T] row selector), the LAST layer computes
 * only the S selected rows (their queries, attention output and MLP; keys and values still cover
 * every token) and the result is [B, S, H]: the head reads only the marker states, so the other
 * T - S rows of the last layer are dead work (a 2-layer judge does about half the work). The
 * selected rows equal the same rows of the full output up to float round-off.
 */
function encoderLayers(g: GraphBuilder, config: MiniPairRMConfig, p: PairwiseParamTensors, { inputIds, attentionMask }: PairwiseGraphInputs, select?: Tensor): Tensor {
  const H = config.hidden_size;
  const nH = config.num_attention_heads;
  const hd = H / nH;
  const T = inputIds.shape[1] as Dim;
  const eps = config.rms_norm_eps;
  // RoPE at positions 0..T-1 (right padding: real tokens start at 0), HF rotate-half convention.
  const invFreq = Array.from({ length: hd / 2 }, (_, i) => 1 / config.rope_theta ** ((2 * i) / hd));
  const pos = g.unsqueeze(g.cast(g.range(0, g.dimSize(inputIds, 1), 1, { size: T }), g.floatType), [1]); // [T, 1]
  const freqs = g.mul(pos, g.constant(invFreq, [hd / 2])); // [T, hd/2]
  const emb = g.concat([freqs, freqs], 1); // [T, hd]
  const cos = g.cos(emb);
  const sin = g.sin(emb);
  const rope = (x: Tensor, c: Tensor, s: Tensor): Tensor => {
    const [x1, x2] = g.split(x, [hd / 2, hd / 2], 3) as [Tensor, Tensor];
    return g.add(g.mul(x, c), g.mul(g.concat([g.neg(x2), x1], 3), s));
  };
  const heads = (x: Tensor): Tensor => g.transpose(g.reshape(x, [0, 0, nH, hd]), [0, 2, 1, 3]); // [B, nH, T, hd]
  // Padding keys get PADDING_KEY_BIAS added to their scores (exp underflows to exactly 0). The bias rides in
  // the score matmul as one extra channel, q' = [q, 1] and k' = [k, bias], so q'.k' = q.k + bias
  // (+0 exactly for real keys) without a separate pass over the [B, heads, T, T] scores.
  const keyBias = g.unsqueeze(g.mul(g.sub(1, g.cast(attentionMask, g.floatType)), PADDING_KEY_BIAS), [1, 3]); // [B, 1, T, 1]
  const channel = (x: Tensor, value: Operand): Tensor => g.add(g.mul(g.slice(x, [0], [1], [3]), 0), value); // [B, nH, T, 1]
  const scoresOf = (q: Tensor, k: Tensor): Tensor => g.matmul(g.concat([q, channel(q, 1)], 3), g.transpose(g.concat([k, channel(k, keyBias)], 3), [0, 1, 3, 2]));

  // segment = min(#[CLS] up to and including t, 3): 1 source, 2 candidate 1, 3 candidate 2 (and the padding after it).
  const segment = g.minimum(g.cumsum(g.cast(g.equal(inputIds, config.cls_token_id), 'int64'), 1), g.constant([BigInt(SEGMENTS - 1)], [], 'int64'));
  let x = g.add(g.gather(param(p, 'model.embed_tokens.weight'), inputIds, 0), g.gather(param(p, 'model.embed_segments.weight'), segment, 0));
  const L = config.num_hidden_layers;
  for (let l = 0; l < L; l++) {
    const pre = `model.layers.${l}`;
    const h = rmsNorm(g, x, param(p, `${pre}.input_layernorm.weight`), eps);
    const k = rope(heads(linear(g, h, param(p, `${pre}.self_attn.k_proj.weight`))), cos, sin);
    const v = heads(linear(g, h, param(p, `${pre}.self_attn.v_proj.weight`)));
    let q: Tensor;
    if (select !== undefined && l === L - 1) {
      // One-hot matmuls pick the selected rows exactly (x * 1 plus zeros).
      x = g.matmul(select, x); // [B, S, H]
      const hq = rmsNorm(g, x, param(p, `${pre}.input_layernorm.weight`), eps);
      const at = (table: Tensor): Tensor => g.unsqueeze(g.matmul(select, table), [1]); // [B, 1, S, hd]
      q = rope(heads(linear(g, g.mul(hq, 1 / Math.sqrt(hd)), param(p, `${pre}.self_attn.q_proj.weight`))), at(cos), at(sin));
    } else {
      q = rope(heads(linear(g, g.mul(h, 1 / Math.sqrt(hd)), param(p, `${pre}.self_attn.q_proj.weight`))), cos, sin);
    }
    const a = g.reshape(g.transpose(g.matmul(g.softmax(scoresOf(q, k), -1), v), [0, 2, 1, 3]), [0, 0, H]);
    x = g.add(x, linear(g, a, param(p, `${pre}.self_attn.o_proj.weight`)));
    const h2 = rmsNorm(g, x, param(p, `${pre}.post_attention_layernorm.weight`), eps);
    const gate = linear(g, h2, param(p, `${pre}.mlp.gate_proj.weight`));
    const up = linear(g, h2, param(p, `${pre}.mlp.up_proj.weight`));
    x = g.add(x, linear(g, g.mul(g.mul(gate, g.sigmoid(gate)), up), param(p, `${pre}.mlp.down_proj.weight`)));
  }
  if (select !== undefined && L === 0) x = g.matmul(select, x);
  return rmsNorm(g, x, param(p, 'model.norm.weight'), eps);
}

/** Last hidden states [B, T, H] of the bidirectional encoder. */
export function pairwiseEncoder(g: GraphBuilder, config: MiniPairRMConfig, p: PairwiseParamTensors, inputs: PairwiseGraphInputs): Tensor {
  return encoderLayers(g, config, p, inputs);
}

/** PairRM's head on the three marker states: MLP([h_src; h_c1]) - MLP([h_src; h_c2]), [B]. */
export function pairwiseHead(g: GraphBuilder, p: PairwiseParamTensors, hSrc: Tensor, hC1: Tensor, hC2: Tensor): Tensor {
  const mlp = (x: Tensor): Tensor =>
    g.gemm(g.tanh(g.gemm(x, param(p, 'head_layer.1.weight'), { transB: true, c: param(p, 'head_layer.1.bias') })), param(p, 'head_layer.4.weight'), {
      transB: true,
      c: param(p, 'head_layer.4.bias'),
    });
  const left = mlp(g.concat([hSrc, hC1], 1));
  const right = mlp(g.concat([hSrc, hC2], 1));
  return g.reshape(g.sub(left, right), [-1]);
}

/**
 * The whole model: logits [B] that candidate 1 beats candidate 2. The marker positions come from
 * input_ids == id (DebertaV2PairRM's torch.where) as a one-hot [B, 3, T] selector, and the last
 * layer runs only at those rows (encoderLayers).
 */
export function pairwiseLogits(g: GraphBuilder, config: MiniPairRMConfig, p: PairwiseParamTensors, inputs: PairwiseGraphInputs): Tensor {
  const H = config.hidden_size;
  const onehot = (id: number): Tensor => g.unsqueeze(g.cast(g.equal(inputs.inputIds, id), g.floatType), [1]); // [B, 1, T]
  const select = g.concat([onehot(config.source_prefix_id), onehot(config.cand1_prefix_id), onehot(config.cand2_prefix_id)], 1);
  const states = encoderLayers(g, config, p, inputs, select); // [B, 3, H]
  const [hSrc, hC1, hC2] = g.split(states, [1, 1, 1], 1).map((t) => g.reshape(t, [-1, H])) as [Tensor, Tensor, Tensor];
  return pairwiseHead(g, p, hSrc, hC1, hC2);
}
