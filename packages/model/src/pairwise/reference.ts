/**
 * Plain-JS float64 reference of the mini-PairRM forward and of PairRM's head, written from the
 * formulas (not from the graph code) so tests can check the ONNX graph against it.
 */
import { SEGMENTS, type MiniPairRMConfig } from './config.ts';

type Weights = ReadonlyMap<string, ArrayLike<number>>;

function w(weights: Weights, name: string): ArrayLike<number> {
  const t = weights.get(name);
  if (t === undefined) throw new Error(`reference: missing weight ${name}`);
  return t;
}

/** y[o] = sum_i W[o][i] x[i] (+ b[o]) for a row-major W [out, in]. */
function matvec(W: ArrayLike<number>, x: readonly number[], out: number, b?: ArrayLike<number>): number[] {
  const n = x.length;
  const y = new Array<number>(out);
  for (let o = 0; o < out; o++) {
    let s = b ? (b[o] as number) : 0;
    for (let i = 0; i < n; i++) s += (W[o * n + i] as number) * (x[i] as number);
    y[o] = s;
  }
  return y;
}

function rms(x: readonly number[], g: ArrayLike<number>, eps: number): number[] {
  const ms = x.reduce((s, v) => s + v * v, 0) / x.length;
  const r = 1 / Math.sqrt(ms + eps);
  return x.map((v, i) => v * r * (g[i] as number));
}

/** MLP([a; b]) of PairRM's head_layer (Linear(2H->H), Tanh, Linear(H->1)); dropout off. */
function headMlp(weights: Weights, a: readonly number[], b: readonly number[]): number {
  const H = a.length;
  const hidden = matvec(w(weights, 'head_layer.1.weight'), [...a, ...b], H, w(weights, 'head_layer.1.bias')).map(Math.tanh);
  return matvec(w(weights, 'head_layer.4.weight'), hidden, 1, w(weights, 'head_layer.4.bias'))[0] as number;
}

/** PairRM's logit from the three marker states: MLP([h_src; h_c1]) - MLP([h_src; h_c2]). */
export function referencePairwiseHead(weights: Weights, hSrc: readonly number[], hC1: readonly number[], hC2: readonly number[]): number {
  return headMlp(weights, hSrc, hC1) - headMlp(weights, hSrc, hC2);
}

/** Last hidden states [T][H] of one row (padding keys masked; bidirectional attention). */
export function referenceEncoder(config: MiniPairRMConfig, weights: Weights, ids: readonly number[], mask: readonly number[]): number[][] {
  const H = config.hidden_size;
  const I = config.intermediate_size;
  const nH = config.num_attention_heads;
  const hd = H / nH;
  const T = ids.length;
  const emb = w(weights, 'model.embed_tokens.weight');
  const seg = w(weights, 'model.embed_segments.weight');
  let cls = 0;
  let x = ids.map((id) => {
    if (id === config.cls_token_id) cls++;
    const s = Math.min(cls, SEGMENTS - 1);
    return Array.from({ length: H }, (_, j) => (emb[id * H + j] as number) + (seg[s * H + j] as number));
  });
  const rope = (v: number[], t: number): number[] => {
    const out = v.slice();
    for (let h = 0; h < nH; h++) {
      for (let i = 0; i < hd / 2; i++) {
        const angle = t / config.rope_theta ** ((2 * i) / hd);
        const a = v[h * hd + i] as number;
        const b = v[h * hd + i + hd / 2] as number;
        out[h * hd + i] = a * Math.cos(angle) - b * Math.sin(angle);
        out[h * hd + i + hd / 2] = b * Math.cos(angle) + a * Math.sin(angle);
      }
    }
    return out;
  };
  for (let l = 0; l < config.num_hidden_layers; l++) {
    const p = `model.layers.${l}`;
    const hN = x.map((r) => rms(r, w(weights, `${p}.input_layernorm.weight`), config.rms_norm_eps));
    const q = hN.map((r, t) => rope(matvec(w(weights, `${p}.self_attn.q_proj.weight`), r, H), t));
    const k = hN.map((r, t) => rope(matvec(w(weights, `${p}.self_attn.k_proj.weight`), r, H), t));
    const v = hN.map((r) => matvec(w(weights, `${p}.self_attn.v_proj.weight`), r, H));
    const attn = x.map((_, t) => {
      const out = new Array<number>(H).fill(0);
      for (let h = 0; h < nH; h++) {
        const scores: number[] = [];
        for (let s = 0; s < T; s++) {
          let dot = 0;
          for (let d = 0; d < hd; d++) dot += (q[t]?.[h * hd + d] as number) * (k[s]?.[h * hd + d] as number);
          scores.push(mask[s] === 1 ? dot / Math.sqrt(hd) : Number.NEGATIVE_INFINITY);
        }
        const max = Math.max(...scores);
        const e = scores.map((s) => (Number.isFinite(s) ? Math.exp(s - max) : 0));
        const z = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s < T; s++) for (let d = 0; d < hd; d++) out[h * hd + d] = (out[h * hd + d] as number) + ((e[s] as number) / z) * (v[s]?.[h * hd + d] as number);
      }
      return out;
    });
    x = x.map((r, t) => {
      const o = matvec(w(weights, `${p}.self_attn.o_proj.weight`), attn[t] as number[], H);
      return r.map((val, j) => val + (o[j] as number));
    });
    x = x.map((r) => {
      const h2 = rms(r, w(weights, `${p}.post_attention_layernorm.weight`), config.rms_norm_eps);
      const gate = matvec(w(weights, `${p}.mlp.gate_proj.weight`), h2, I);
      const up = matvec(w(weights, `${p}.mlp.up_proj.weight`), h2, I);
      const act = gate.map((gv, i) => (gv / (1 + Math.exp(-gv))) * (up[i] as number));
      const down = matvec(w(weights, `${p}.mlp.down_proj.weight`), act, H);
      return r.map((val, j) => val + (down[j] as number));
    });
  }
  return x.map((r) => rms(r, w(weights, 'model.norm.weight'), config.rms_norm_eps));
}

/** The mini-PairRM logit of one right-padded row. */
export function referencePairwiseLogit(config: MiniPairRMConfig, weights: Weights, ids: readonly number[], mask: readonly number[]): number {
  const h = referenceEncoder(config, weights, ids, mask);
  const at = (id: number): number[] => {
    const t = ids.indexOf(id);
    if (t < 0) throw new Error(`reference: token ${id} not in the row`);
    return h[t] as number[];
  };
  return referencePairwiseHead(weights, at(config.source_prefix_id), at(config.cand1_prefix_id), at(config.cand2_prefix_id));
}
