/**
 * A plain-JS float64 forward of LlamaForCausalLM, written from HF's modeling_llama.py, as an
 * independent check of the ONNX graphs (which are built through autodiff, not from this code).
 * O(T^2) and unoptimised on purpose: it exists to be obviously right on tiny configs.
 */
import type { LlamaGraphConfig } from './config-types.ts';
import { headDim, type LlamaWeights } from './params.ts';

/**
 * Added to the scores of masked attention positions, as HF adds its min-value causal mask. Large
 * enough that score + mask rounds to the mask itself in float32 and float64 alike (-1e9 would
 * not: float32's spacing there is 64), so a row with every key masked (a left-padding query) gets
 * exactly uniform weights in both, as a Where would give, and finite: never NaN.
 */
export const ATTENTION_MASK_VALUE = -1e30;

export interface ReferenceForwardInput {
  /** [B][T] token ids. */
  inputIds: number[][];
  /** [B][T] 1 = real token, 0 = padding; defaults to all ones. */
  attentionMask?: number[][];
  /** [B][T]; defaults to cumsum(mask) - 1 with padded positions set to 1 (transformers.js). */
  positionIds?: number[][];
}

/** Position ids as transformers.js derives them from the attention mask. */
export function positionIdsFromMask(mask: number[][]): number[][] {
  return mask.map((row) => {
    let c = 0;
    return row.map((m) => {
      c += m;
      return m === 0 ? 1 : c - 1;
    });
  });
}

function param(weights: LlamaWeights, name: string): Float64Array {
  const w = weights.get(name);
  if (w === undefined) throw new Error(`reference forward: weight ${name} is missing`);
  return Float64Array.from(w);
}

/** y[n, out] = x[n, in] W[out, in]^T (+ b), HF Linear. */
function linear(x: Float64Array, n: number, inDim: number, w: Float64Array, outDim: number, b?: Float64Array): Float64Array {
  const y = new Float64Array(n * outDim);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outDim; o++) {
      let s = b ? (b[o] as number) : 0;
      for (let i = 0; i < inDim; i++) s += (x[r * inDim + i] as number) * (w[o * inDim + i] as number);
      y[r * outDim + o] = s;
    }
  }
  return y;
}

/** HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * w. */
function rmsNorm(x: Float64Array, n: number, d: number, w: Float64Array, eps: number): Float64Array {
  const y = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += (x[r * d + i] as number) ** 2;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] as number) * inv * (w[i] as number);
  }
  return y;
}

/** Rotary embedding, rotate-half convention (HF `apply_rotary_pos_emb`), in place on one head. */
function rope(v: Float64Array, off: number, hd: number, pos: number, theta: number): void {
  const half = hd / 2;
  for (let i = 0; i < half; i++) {
    const freq = pos / theta ** ((2 * i) / hd);
    const c = Math.cos(freq);
    const s = Math.sin(freq);
    const a = v[off + i] as number;
    const b = v[off + i + half] as number;
    v[off + i] = a * c - b * s;
    v[off + i + half] = b * c + a * s;
  }
}

/** Logits [B][T][V] of the whole model for a (possibly padded) batch. */
export function referenceLogits(config: LlamaGraphConfig, weights: LlamaWeights, input: ReferenceForwardInput): Float64Array[][] {
  const { inputIds } = input;
  const mask = input.attentionMask ?? inputIds.map((row) => row.map(() => 1));
  const positions = input.positionIds ?? positionIdsFromMask(mask);
  const H = config.hidden_size;
  const I = config.intermediate_size;
  const V = config.vocab_size;
  const nH = config.num_attention_heads;
  const nKv = config.num_key_value_heads;
  const hd = headDim(config);
  const rep = nH / nKv;
  const eps = config.rms_norm_eps;
  const bias = (name: string): Float64Array | undefined => (config.attention_bias ? param(weights, name) : undefined);
  const embed = param(weights, 'model.embed_tokens.weight');
  const head = config.tie_word_embeddings ? embed : param(weights, 'lm_head.weight');

  return inputIds.map((ids, b) => {
    const T = ids.length;
    const rowMask = mask[b] as number[];
    const rowPos = positions[b] as number[];
    let x = new Float64Array(T * H);
    ids.forEach((id, t) => x.set(embed.subarray(id * H, (id + 1) * H), t * H));
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      const h = rmsNorm(x, T, H, param(weights, `${p}.input_layernorm.weight`), eps);
      const q = linear(h, T, H, param(weights, `${p}.self_attn.q_proj.weight`), nH * hd, bias(`${p}.self_attn.q_proj.bias`));
      const k = linear(h, T, H, param(weights, `${p}.self_attn.k_proj.weight`), nKv * hd, bias(`${p}.self_attn.k_proj.bias`));
      const v = linear(h, T, H, param(weights, `${p}.self_attn.v_proj.weight`), nKv * hd, bias(`${p}.self_attn.v_proj.bias`));
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < nH; j++) rope(q, t * nH * hd + j * hd, hd, rowPos[t] as number, config.rope_theta);
        for (let j = 0; j < nKv; j++) rope(k, t * nKv * hd + j * hd, hd, rowPos[t] as number, config.rope_theta);
      }
      const attn = new Float64Array(T * nH * hd);
      const scale = 1 / Math.sqrt(hd);
      for (let j = 0; j < nH; j++) {
        const kvh = Math.floor(j / rep); // HF repeat_kv: head j reads kv head j // n_rep
        for (let t = 0; t < T; t++) {
          const scores = new Float64Array(T);
          for (let s = 0; s < T; s++) {
            let dot = 0;
            for (let i = 0; i < hd; i++) dot += (q[t * nH * hd + j * hd + i] as number) * (k[s * nKv * hd + kvh * hd + i] as number);
            // HF eager attention adds its mask to the scores (attn_weights + causal_mask).
            scores[s] = dot * scale + (s > t || rowMask[s] === 0 ? ATTENTION_MASK_VALUE : 0);
          }
          const m = Math.max(...scores);
          let z = 0;
          for (let s = 0; s < T; s++) z += Math.exp((scores[s] as number) - m);
          for (let s = 0; s < T; s++) {
            const pr = Math.exp((scores[s] as number) - m) / z;
            for (let i = 0; i < hd; i++) {
              const at = t * nH * hd + j * hd + i;
              attn[at] = (attn[at] as number) + pr * (v[s * nKv * hd + kvh * hd + i] as number);
            }
          }
        }
      }
      const o = linear(attn, T, nH * hd, param(weights, `${p}.self_attn.o_proj.weight`), H, bias(`${p}.self_attn.o_proj.bias`));
      for (let i = 0; i < T * H; i++) x[i] = (x[i] as number) + (o[i] as number);
      const h2 = rmsNorm(x, T, H, param(weights, `${p}.post_attention_layernorm.weight`), eps);
      const gate = linear(h2, T, H, param(weights, `${p}.mlp.gate_proj.weight`), I);
      const up = linear(h2, T, H, param(weights, `${p}.mlp.up_proj.weight`), I);
      for (let i = 0; i < T * I; i++) {
        const g = gate[i] as number;
        gate[i] = (g / (1 + Math.exp(-g))) * (up[i] as number); // SwiGLU: silu(gate) * up
      }
      const down = linear(gate, T, I, param(weights, `${p}.mlp.down_proj.weight`), H);
      const next = new Float64Array(T * H);
      for (let i = 0; i < T * H; i++) next[i] = (x[i] as number) + (down[i] as number);
      x = next;
    }
    const hf = rmsNorm(x, T, H, param(weights, 'model.norm.weight'), eps);
    const logits = linear(hf, T, H, head, V);
    return Array.from({ length: T }, (_, t) => logits.slice(t * V, (t + 1) * V));
  });
}

/** log softmax of one logit row, evaluated at `token`. */
export function logSoftmaxAt(row: Float64Array, token: number): number {
  const m = Math.max(...row);
  let z = 0;
  for (const v of row) z += Math.exp(v - m);
  return (row[token] as number) - m - Math.log(z);
}

export interface ReferenceLogpsInput extends ReferenceForwardInput {
  /** [B][T] 1 where position t is a response token scored by log p(x_t | x_<t). Position 0 is
   *  never scored (it has no context), matching the graphs' shift. */
  responseMask: number[][];
}

/** Per-sequence summed log-probabilities of the response tokens and their counts. */
export function referenceSequenceLogps(
  config: LlamaGraphConfig,
  weights: LlamaWeights,
  input: ReferenceLogpsInput,
): { logps: number[]; counts: number[] } {
  const logits = referenceLogits(config, weights, input);
  const logps: number[] = [];
  const counts: number[] = [];
  input.inputIds.forEach((ids, b) => {
    let sum = 0;
    let count = 0;
    for (let t = 1; t < ids.length; t++) {
      if ((input.responseMask[b] as number[])[t] !== 1) continue;
      sum += logSoftmaxAt((logits[b] as Float64Array[])[t - 1] as Float64Array, ids[t] as number);
      count++;
    }
    logps.push(sum);
    counts.push(count);
  });
  return { logps, counts };
}
