// Model FLOPs of a Llama training step or forward, counted the way MFU is usually counted (PaLM,
// appendix B; nanoGPT's estimate_mfu): 2 FLOPs per multiply-add of every matrix product, the
// backward pass twice the forward. Elementwise work (norms, softmax, rotary, AdamW) is not
// counted: it is what a step spends beyond the model FLOPs.
import type { LlamaConfig } from '@sppo/model';

export interface StepFlops {
  /** Weights that take part in a matrix product: every linear layer and the LM head. */
  matmulParams: number;
  /** Forward: 2 x matmulParams per token, plus attention's QK^T and PV. */
  forward: number;
  /** Forward + backward (3 x forward). */
  step: number;
}

/**
 * Linear layers: 2 x params per token forward. Attention: QK^T and PV are 2 x 2 x T x head_dim per
 * query head per query token, counted over the full T x T square (our graphs and PyTorch's eager
 * attention both compute the masked half too). The embedding lookup is a gather, not a product,
 * so an untied embedding table does not count; a tied one counts once, as the LM head.
 */
export function llamaFlops(config: LlamaConfig, batchSize: number, seqLen: number): StepFlops {
  const H = config.hidden_size;
  const hd = config.head_dim;
  const perLayer = H * config.num_attention_heads * hd * 2 + H * config.num_key_value_heads * hd * 2 + 3 * H * config.intermediate_size;
  const matmulParams = config.num_hidden_layers * perLayer + config.vocab_size * H;
  const tokens = batchSize * seqLen;
  const attention = config.num_hidden_layers * batchSize * config.num_attention_heads * 4 * seqLen * seqLen * hd;
  const forward = 2 * matmulParams * tokens + attention;
  return { matmulParams, forward, step: 3 * forward };
}
