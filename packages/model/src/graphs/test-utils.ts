/**
 * Shared fixtures of the graph tests: tiny configs, seeded weights, padded batches and a small
 * onnxruntime runner. Not exported from the package.
 */
import * as ort from 'onnxruntime-node';
import { createRng } from '../rng.ts';
import type { LlamaGraphConfig } from '../llama/config-types.ts';
import { parameterShapes, type LlamaWeights } from '../llama/params.ts';

/** vocab 61, hidden 16, 2 layers, 4 heads over 2 kv heads (GQA), head_dim 4. */
export function tinyConfig(overrides: Partial<LlamaGraphConfig> = {}): LlamaGraphConfig {
  return {
    vocab_size: 61,
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 4,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: false,
    attention_bias: false,
    ...overrides,
  };
}

/**
 * Seeded weights with a large spread (std 0.3) and non-trivial norm weights and biases, so that a
 * wrong norm, bias or head layout changes the output visibly.
 */
export function randomWeights(config: LlamaGraphConfig, seed = 1, std = 0.3): Map<string, Float64Array> {
  const rng = createRng(seed);
  const out = new Map<string, Float64Array>();
  for (const { name, shape } of parameterShapes(config)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = new Float64Array(n);
    const isNorm = name.endsWith('norm.weight');
    for (let i = 0; i < n; i++) t[i] = isNorm ? 1 + 0.3 * (2 * rng.uniform() - 1) : std * rng.normal();
    out.set(name, t);
  }
  return out;
}

export function toFloat32(weights: Map<string, Float64Array>): Map<string, Float32Array> {
  return new Map([...weights].map(([k, v]) => [k, Float32Array.from(v)]));
}

/** Rounds float64 weights through float32, so float32 and float64 runs see the same values. */
export function roundToFloat32(weights: Map<string, Float64Array>): Map<string, Float64Array> {
  return new Map([...weights].map(([k, v]) => [k, Float64Array.from(Float32Array.from(v))]));
}

/** A padded batch: rows of (prompt, response) token ids placed left- or right-aligned in T slots. */
export interface PaddedBatch {
  inputIds: number[][];
  attentionMask: number[][];
  responseMask: number[][];
}

export function padBatch(
  rows: { prompt: number[]; response: number[] }[],
  T: number,
  { side = 'right', padId = 0 }: { side?: 'left' | 'right'; padId?: number } = {},
): PaddedBatch {
  const out: PaddedBatch = { inputIds: [], attentionMask: [], responseMask: [] };
  for (const { prompt, response } of rows) {
    const ids = [...prompt, ...response];
    if (ids.length > T) throw new Error(`row of ${ids.length} tokens does not fit ${T}`);
    const pad = T - ids.length;
    const mask = ids.map(() => 1);
    const resp = [...prompt.map(() => 0), ...response.map(() => 1)];
    const fill = (v: number): number[] => new Array<number>(pad).fill(v);
    if (side === 'left') {
      out.inputIds.push([...fill(padId), ...ids]);
      out.attentionMask.push([...fill(0), ...mask]);
      out.responseMask.push([...fill(0), ...resp]);
    } else {
      out.inputIds.push([...ids, ...fill(padId)]);
      out.attentionMask.push([...mask, ...fill(0)]);
      out.responseMask.push([...resp, ...fill(0)]);
    }
  }
  return out;
}

/** Random (prompt, response) rows with ids in [3, vocab). */
export function randomRows(vocab: number, lengths: [prompt: number, response: number][], seed = 7): { prompt: number[]; response: number[] }[] {
  const rng = createRng(seed);
  const tok = (): number => 3 + Math.floor(rng.uniform() * (vocab - 3));
  return lengths.map(([p, r]) => ({
    prompt: Array.from({ length: p }, tok),
    response: Array.from({ length: r }, tok),
  }));
}

export function int64(rows: number[][]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map((v) => BigInt(v))), [rows.length, rows[0]?.length ?? 0]);
}

export function floats(values: number[], dtype: 'float32' | 'float64', dims: number[] = [values.length]): ort.Tensor {
  return new ort.Tensor(dtype, dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values), dims);
}

/** Feeds for every parameter of `config` in the given float type. */
export function paramFeeds(config: LlamaGraphConfig, weights: LlamaWeights, dtype: 'float32' | 'float64'): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const { name, shape } of parameterShapes(config)) {
    const w = weights.get(name);
    if (!w) throw new Error(`test weights lack ${name}`);
    feeds[name] = new ort.Tensor(dtype, dtype === 'float64' ? Float64Array.from(w) : Float32Array.from(w), shape);
  }
  return feeds;
}

export async function runModel(
  model: Uint8Array,
  feeds: Record<string, ort.Tensor>,
  { level = 'basic' }: { level?: 'basic' | 'all' } = {},
): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: level, intraOpNumThreads: 1 });
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

export function values(t: ort.Tensor | undefined): number[] {
  if (!t) throw new Error('missing output');
  return Array.from(t.data as Float32Array | Float64Array, Number);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}
