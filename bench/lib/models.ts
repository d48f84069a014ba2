// The model shapes, training batches and statistics the benchmarks share, so that train-step,
// profile-train-step and generate measure the same models.
import { createRng, presetConfig, type LlamaConfig } from '@sppo/model';

/** A ~40M Llama with a 32k vocabulary (ENGINE-NOTES size): d 512, 8 layers, 8 heads / 4 kv heads. */
export function llama40MShape(base: LlamaConfig): LlamaConfig {
  return { ...base, vocab_size: 32000, hidden_size: 512, intermediate_size: 1376, num_hidden_layers: 8, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 64 };
}

/**
 * A real size: SmolLM2-135M's published shape (hidden 576, 30 layers, 9 heads, 3 kv heads,
 * intermediate 1536, vocab 49152, rope_theta 100000), on `base`'s token ids and tied embeddings.
 */
export function smolLM2Shape(base: LlamaConfig): LlamaConfig {
  return { ...base, vocab_size: 49152, hidden_size: 576, intermediate_size: 1536, num_hidden_layers: 30, num_attention_heads: 9, num_key_value_heads: 3, head_dim: 64, rope_theta: 100000, max_position_embeddings: 8192 };
}

export interface TrainShape {
  name: '3M' | '40M' | '125M';
  config: LlamaConfig;
  batchSize: number;
  seqLen: number;
}

/** The training-step cases: the `small` preset (~3M, 8 x 128), 40M (4 x 256), 125M (2 x 256). */
export function trainShapes(): TrainShape[] {
  const small = presetConfig('small', { vocabSize: 512 });
  return [
    { name: '3M', config: small, batchSize: 8, seqLen: 128 },
    { name: '40M', config: llama40MShape(small), batchSize: 4, seqLen: 256 },
    { name: '125M', config: smolLM2Shape(small), batchSize: 2, seqLen: 256 },
  ];
}

/** A deterministic SFT batch: random ids, full rows, the first quarter prompt and the rest response. */
export function trainBatch({ config, batchSize, seqLen }: TrainShape): { input_ids: number[][]; attention_mask: number[][]; response_mask: number[][] } {
  const rng = createRng(1234);
  const ids = Array.from({ length: batchSize }, () => Array.from({ length: seqLen }, () => 3 + Math.floor(rng.uniform() * (config.vocab_size - 3))));
  return {
    input_ids: ids,
    attention_mask: ids.map((row) => row.map(() => 1)),
    response_mask: ids.map((row) => row.map((_, t) => (t >= seqLen / 4 ? 1 : 0))),
  };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}
