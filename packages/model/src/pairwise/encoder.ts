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
 * feed only input_ids and attention_mask. Dropout is off (inference and our training alike).
 *
 * One addition to Llama's blocks: a BERT-style segment embedding (token types source / candidate 1
 * / candidate 2), derived in-graph from the running count of [CLS] tokens, so it needs no extra
 * input. A model trained from scratch cannot lean on pretraining to tell the two candidates apart;
 * with RoPE alone (relative positions) attention cannot tell which candidate a token belongs to, and
 * training on the synthetic tasks stalled at chance until the segments were added.
 */
import type { Dim, GraphBuilder, Tensor } from '@sppo/autodiff';
import { ATTENTION_MASK_VALUE } from '../llama/reference.ts';
import { pairwiseParameterShapes, SEGMENTS, type MiniPairRMConfig } from './config.ts';

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

function rmsNorm(g: GraphBuilder, x: Tensor, w: Tensor, eps: number): Tensor {
  const last = x.shape.length - 1;
  return g.mul(g.div(x, g.sqrt(g.add(g.reduceMean(g.mul(x, x), [last], true), eps))), w);
}

export interface PairwiseGraphInputs {
  /** int64 [B, T], right-padded */
  inputIds: Tensor;
  /** int64 [B, T], 1 = real token */
  attentionMask: Tensor;
}

/** Last hidden states [B, T, H] of the bidirectional encoder. */
export function pairwiseEncoder(g: GraphBuilder, config: MiniPairRMConfig, p: PairwiseParamTensors, { inputIds, attentionMask }: PairwiseGraphInputs): Tensor {
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
  const rope = (x: Tensor): Tensor => {
    const [x1, x2] = g.split(x, [hd / 2, hd / 2], 3) as [Tensor, Tensor];
    return g.add(g.mul(x, cos), g.mul(g.concat([g.neg(x2), x1], 3), sin));
  };
  const heads = (x: Tensor): Tensor => g.transpose(g.reshape(x, [0, 0, nH, hd]), [0, 2, 1, 3]); // [B, nH, T, hd]
  // Padding keys get -1e9 added to their scores (an additive mask: ORT's broadcast Add is much
  // faster than a broadcast Where on [B, heads, T, T]); exp underflows to exactly 0 either way.
  const keyBias = g.unsqueeze(g.mul(g.sub(1, g.cast(attentionMask, g.floatType)), -ATTENTION_MASK_VALUE * -1), [1, 2]); // [B, 1, 1, T]

  // segment = min(#[CLS] up to and including t, 3): 1 source, 2 candidate 1, 3 candidate 2 (and the padding after it).
  const segment = g.minimum(g.cumsum(g.cast(g.equal(inputIds, config.cls_token_id), 'int64'), 1), g.constant([BigInt(SEGMENTS - 1)], [], 'int64'));
  let x = g.add(g.gather(param(p, 'model.embed_tokens.weight'), inputIds, 0), g.gather(param(p, 'model.embed_segments.weight'), segment, 0));
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const pre = `model.layers.${l}`;
    const h = rmsNorm(g, x, param(p, `${pre}.input_layernorm.weight`), eps);
    const q = rope(heads(linear(g, g.mul(h, 1 / Math.sqrt(hd)), param(p, `${pre}.self_attn.q_proj.weight`))));
    const k = rope(heads(linear(g, h, param(p, `${pre}.self_attn.k_proj.weight`))));
    const v = heads(linear(g, h, param(p, `${pre}.self_attn.v_proj.weight`)));
    const scores = g.add(g.matmul(q, g.transpose(k, [0, 1, 3, 2])), keyBias);
    const a = g.reshape(g.transpose(g.matmul(g.softmax(scores, -1), v), [0, 2, 1, 3]), [0, 0, H]);
    x = g.add(x, linear(g, a, param(p, `${pre}.self_attn.o_proj.weight`)));
    const h2 = rmsNorm(g, x, param(p, `${pre}.post_attention_layernorm.weight`), eps);
    const gate = linear(g, h2, param(p, `${pre}.mlp.gate_proj.weight`));
    const up = linear(g, h2, param(p, `${pre}.mlp.up_proj.weight`));
    x = g.add(x, linear(g, g.mul(g.mul(gate, g.sigmoid(gate)), up), param(p, `${pre}.mlp.down_proj.weight`)));
  }
  return rmsNorm(g, x, param(p, 'model.norm.weight'), eps);
}

/** h[b, position of `tokenId` in row b], [B, H]: a one-hot row mask times h (differentiable in h). */
function hiddenAtToken(g: GraphBuilder, hidden: Tensor, inputIds: Tensor, tokenId: number): Tensor {
  const H = hidden.shape[2] as number;
  const onehot = g.unsqueeze(g.cast(g.equal(inputIds, tokenId), g.floatType), [1]); // [B, 1, T]
  return g.reshape(g.matmul(onehot, hidden), [-1, H]);
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

/** The whole model: logits [B] that candidate 1 beats candidate 2. */
export function pairwiseLogits(g: GraphBuilder, config: MiniPairRMConfig, p: PairwiseParamTensors, inputs: PairwiseGraphInputs): Tensor {
  const hidden = pairwiseEncoder(g, config, p, inputs);
  return pairwiseHead(
    g,
    p,
    hiddenAtToken(g, hidden, inputs.inputIds, config.source_prefix_id),
    hiddenAtToken(g, hidden, inputs.inputIds, config.cand1_prefix_id),
    hiddenAtToken(g, hidden, inputs.inputIds, config.cand2_prefix_id),
  );
}
