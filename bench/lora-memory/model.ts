// The bytes-per-parameter memory model of docs/MEMORY.md, as code: what a training step holds at
// its peak, full fine-tuning or LoRA, float32 or bf16 base, for a Llama-family shape. The bench
// prints it beside the measured peaks (Qwen2.5-0.5B shape) and for the 7-9B models of the paper.
export interface Shape {
  name: string;
  vocab: number;
  hidden: number;
  intermediate: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  tied: boolean;
}

export interface StepSetup {
  mode: 'full' | 'lora';
  base: 'float32' | 'bfloat16';
  /** Sequences in the step (a pair is 2) and their length. */
  sequences: number;
  seqLen: number;
  loraR?: number;
}

/** Linear weights of the decoder layers (what all-linear adapts and a bf16 base holds as bits). */
export function layerLinearParams(s: Shape): number {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  return s.layers * (s.hidden * q + 2 * s.hidden * kv + q * s.hidden + 3 * s.hidden * s.intermediate);
}

export function totalParams(s: Shape): number {
  return layerLinearParams(s) + s.vocab * s.hidden * (s.tied ? 1 : 2) + s.layers * 2 * s.hidden + s.hidden;
}

/** LoRA r on every linear of every layer: r (in + out) per module. */
export function loraParams(s: Shape, r: number): number {
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const perLayer = r * (s.hidden + q) + 2 * r * (s.hidden + kv) + r * (q + s.hidden) + 2 * r * (s.hidden + s.intermediate) + r * (s.intermediate + s.hidden);
  return s.layers * perLayer;
}

/**
 * float32 values the backward pass keeps per token and layer: the residual stream and norm inputs
 * and outputs (~10 H), q/k/v and the attention output (~3 H + 2 kv), the SwiGLU gate, up, silu and
 * product (4 I), and one heads x T row of attention probabilities (the scores are not kept).
 */
export function activationFloatsPerTokenLayer(s: Shape, seqLen: number): number {
  return 13 * s.hidden + 2 * s.kvHeads * s.headDim + 4 * s.intermediate + s.heads * seqLen;
}

export interface Prediction {
  weights: number;
  gradients: number;
  optimizer: number;
  adapter: number;
  activations: number;
  logits: number;
  total: number;
}

/** Peak bytes of one AdamW step (float32 compute, in-place updates, gradients alive together). */
export function predictPeak(s: Shape, o: StepSetup): Prediction {
  const P = totalParams(s);
  const linear = layerLinearParams(s);
  const tokens = o.sequences * o.seqLen;
  const weights = o.mode === 'lora' && o.base === 'bfloat16' ? 2 * linear + 4 * (P - linear) : 4 * P;
  const trainable = o.mode === 'full' ? P : loraParams(s, o.loraR ?? 16);
  // Full: every weight's gradient lives until the clipped update (AdamW's two moments on top).
  const gradients = 4 * trainable;
  const optimizer = 8 * trainable;
  const adapter = o.mode === 'lora' ? 4 * trainable : 0;
  const activations = 4 * tokens * s.layers * activationFloatsPerTokenLayer(s, o.seqLen);
  // The LM head's logits and their softmax (selectedLogProbs' gradient), [tokens, vocab] each.
  const logits = 2 * 4 * tokens * s.vocab;
  const total = weights + gradients + optimizer + adapter + activations + logits;
  return { weights, gradients, optimizer, adapter, activations, logits, total };
}

export const QWEN25_05B: Shape = { name: 'Qwen2.5-0.5B', vocab: 151936, hidden: 896, intermediate: 4864, layers: 24, heads: 14, kvHeads: 2, headDim: 64, tied: true };
export const LLAMA3_8B: Shape = { name: 'Llama-3-8B', vocab: 128256, hidden: 4096, intermediate: 14336, layers: 32, heads: 32, kvHeads: 8, headDim: 128, tied: false };
export const GEMMA2_9B: Shape = { name: 'Gemma-2-9B', vocab: 256000, hidden: 3584, intermediate: 14336, layers: 42, heads: 16, kvHeads: 8, headDim: 256, tied: true };
