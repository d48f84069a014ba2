/**
 * A plain-JS float64 forward of the supported <Family>ForCausalLM models, written from HF's
 * modeling_llama.py, modeling_mistral.py, modeling_qwen2.py, modeling_qwen3.py,
 * modeling_gemma2.py and modeling_gemma3.py (text), as an independent check of the ONNX graphs (which are built through
 * autodiff, not from this code). It reads the same switches (architecture.ts) but computes
 * everything itself, per token and per head. O(T^2) and unoptimised on purpose: it exists to be
 * obviously right on tiny configs.
 */
import { architectureOf, ropeOfLayer } from './architecture.ts';
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

/** HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * w; Gemma2RMSNorm multiplies by (1 + w). */
function rmsNorm(x: Float64Array, n: number, d: number, w: Float64Array, eps: number, addOne = false): Float64Array {
  const y = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    let ss = 0;
    for (let i = 0; i < d; i++) ss += (x[r * d + i] as number) ** 2;
    const inv = 1 / Math.sqrt(ss / d + eps);
    for (let i = 0; i < d; i++) y[r * d + i] = (x[r * d + i] as number) * inv * ((addOne ? 1 : 0) + (w[i] as number));
  }
  return y;
}

/**
 * Rotary embedding, rotate-half convention (HF `apply_rotary_pos_emb`), in place on one head:
 * angle pos * invFreq[i], cos and sin times `scale` (yarn's attention factor).
 */
function rope(v: Float64Array, off: number, hd: number, pos: number, invFreq: readonly number[], scale: number): void {
  const half = hd / 2;
  for (let i = 0; i < half; i++) {
    const angle = pos * (invFreq[i] as number);
    const c = Math.cos(angle) * scale;
    const s = Math.sin(angle) * scale;
    const a = v[off + i] as number;
    const b = v[off + i + half] as number;
    v[off + i] = a * c - b * s;
    v[off + i + half] = b * c + a * s;
  }
}

/** cap * tanh(x / cap), or x when there is no cap. */
function softcap(x: number, cap: number | null): number {
  return cap === null ? x : cap * Math.tanh(x / cap);
}

/** HF ACT2FN: silu(x) = x sigmoid(x); gelu_pytorch_tanh = 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))). */
function activation(x: number, kind: 'silu' | 'gelu_pytorch_tanh'): number {
  if (kind === 'silu') return x / (1 + Math.exp(-x));
  return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
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
  const arch = architectureOf(config);
  const bias = (name: string, on: boolean): Float64Array | undefined => (on ? param(weights, name) : undefined);
  const norm = (x: Float64Array, n: number, d: number, name: string): Float64Array =>
    rmsNorm(x, n, d, param(weights, `${name}.weight`), eps, arch.normAddsOne);
  const embed = param(weights, 'model.embed_tokens.weight');
  const maxPosition = Math.max(...positions.flat());
  const head = config.tie_word_embeddings ? embed : param(weights, 'lm_head.weight');

  return inputIds.map((ids, b) => {
    const T = ids.length;
    const rowMask = mask[b] as number[];
    const rowPos = positions[b] as number[];
    let x = new Float64Array(T * H);
    ids.forEach((id, t) => x.set(embed.subarray(id * H, (id + 1) * H), t * H));
    // gemma: the embeddings are scaled by sqrt(hidden_size).
    for (let i = 0; i < T * H; i++) x[i] = (x[i] as number) * arch.embeddingScale;
    for (let l = 0; l < config.num_hidden_layers; l++) {
      const p = `model.layers.${l}`;
      const window = arch.layerWindows[l] ?? null;
      const layerRope = ropeOfLayer(arch, l);
      const invFreq = referenceInvFreq(config, layerRope, maxPosition);
      const h = norm(x, T, H, `${p}.input_layernorm`);
      const q = linear(h, T, H, param(weights, `${p}.self_attn.q_proj.weight`), nH * hd, bias(`${p}.self_attn.q_proj.bias`, arch.qkvBias));
      const k = linear(h, T, H, param(weights, `${p}.self_attn.k_proj.weight`), nKv * hd, bias(`${p}.self_attn.k_proj.bias`, arch.qkvBias));
      const v = linear(h, T, H, param(weights, `${p}.self_attn.v_proj.weight`), nKv * hd, bias(`${p}.self_attn.v_proj.bias`, arch.qkvBias));
      // qwen3: each head's q and k are RMS-normalised over head_dim before RoPE.
      const qn = arch.qkNorm ? norm(q, T * nH, hd, `${p}.self_attn.q_norm`) : q;
      const kn = arch.qkNorm ? norm(k, T * nKv, hd, `${p}.self_attn.k_norm`) : k;
      for (let t = 0; t < T; t++) {
        for (let j = 0; j < nH; j++) rope(qn, t * nH * hd + j * hd, hd, rowPos[t] as number, invFreq, layerRope.attentionFactor);
        for (let j = 0; j < nKv; j++) rope(kn, t * nKv * hd + j * hd, hd, rowPos[t] as number, invFreq, layerRope.attentionFactor);
      }
      const attn = new Float64Array(T * nH * hd);
      const scale = arch.attentionScale;
      for (let j = 0; j < nH; j++) {
        const kvh = Math.floor(j / rep); // HF repeat_kv: head j reads kv head j // n_rep
        for (let t = 0; t < T; t++) {
          const scores = new Float64Array(T);
          for (let s = 0; s < T; s++) {
            let dot = 0;
            for (let i = 0; i < hd; i++) dot += (qn[t * nH * hd + j * hd + i] as number) * (kn[s * nKv * hd + kvh * hd + i] as number);
            // HF eager attention soft-caps (gemma2), then adds its mask (attn_weights + causal_mask);
            // a sliding layer hides keys at or before t - W.
            const hidden = s > t || rowMask[s] === 0 || (window !== null && s <= t - window);
            scores[s] = softcap(dot * scale, arch.attentionSoftcap) + (hidden ? ATTENTION_MASK_VALUE : 0);
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
      const o0 = linear(attn, T, nH * hd, param(weights, `${p}.self_attn.o_proj.weight`), H, bias(`${p}.self_attn.o_proj.bias`, arch.oBias));
      // gemma2 (Gemma2DecoderLayer): norms after attention and after the MLP too.
      const o = arch.sandwichNorms ? norm(o0, T, H, `${p}.post_attention_layernorm`) : o0;
      for (let i = 0; i < T * H; i++) x[i] = (x[i] as number) + (o[i] as number);
      const h2 = norm(x, T, H, arch.sandwichNorms ? `${p}.pre_feedforward_layernorm` : `${p}.post_attention_layernorm`);
      const mlpBias = (name: string): Float64Array | undefined => bias(`${p}.mlp.${name}.bias`, arch.mlpBias);
      const gate = linear(h2, T, H, param(weights, `${p}.mlp.gate_proj.weight`), I, mlpBias('gate_proj'));
      const up = linear(h2, T, H, param(weights, `${p}.mlp.up_proj.weight`), I, mlpBias('up_proj'));
      for (let i = 0; i < T * I; i++) gate[i] = activation(gate[i] as number, arch.activation) * (up[i] as number); // act(gate) * up
      const down0 = linear(gate, T, I, param(weights, `${p}.mlp.down_proj.weight`), H, mlpBias('down_proj'));
      const down = arch.sandwichNorms ? norm(down0, T, H, `${p}.post_feedforward_layernorm`) : down0;
      const next = new Float64Array(T * H);
      for (let i = 0; i < T * H; i++) next[i] = (x[i] as number) + (down[i] as number);
      x = next;
    }
    const hf = norm(x, T, H, 'model.norm');
    const logits = linear(hf, T, H, head, V).map((z) => softcap(z, arch.finalLogitSoftcap));
    return Array.from({ length: T }, (_, t) => logits.slice(t * V, (t + 1) * V));
  });
}

/**
 * The rotary frequencies of a row. Dynamic NTK (HF `_compute_dynamic_ntk_parameters`) recomputes
 * the base from seq_len = max(maxPosition + 1, max_position_embeddings):
 * base * (factor * seq_len / max_pos - (factor - 1))^(d / (d - 2)). The graphs take maxPosition over
 * the whole batch, as HF's torch.max(position_ids) does.
 */
function referenceInvFreq(config: LlamaGraphConfig, rope: ReturnType<typeof architectureOf>['rope'], maxPosition: number): number[] {
  if (rope.dynamic === null) return rope.invFreq;
  const { factor, maxPositionEmbeddings: m } = rope.dynamic;
  const d = config.head_dim;
  const seqLen = Math.max(maxPosition + 1, m);
  const base = config.rope_theta * (factor * (seqLen / m) - (factor - 1)) ** (d / (d - 2));
  return Array.from({ length: d / 2 }, (_, i) => 1 / base ** ((2 * i) / d));
}

/** log softmax of one logit row, evaluated at `token`. */
export function logSoftmaxAt(row: Float64Array, token: number): number {
  // A loop, not Math.max(...row): a real vocabulary (150k+) overflows the argument stack.
  let m = -Infinity;
  for (const v of row) m = Math.max(m, v);
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
