/**
 * Shared fixtures of the graph tests: tiny configs, seeded weights, padded batches and a small
 * onnxruntime runner. Not exported from the package.
 */
import type { PreferenceExample } from '@sppo/core';
import * as ort from 'onnxruntime-node';
import { positionIdsFromMask } from '../llama/reference.ts';
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

/**
 * Reference log-probs and SPPO probabilities for 2 pairs (rows 0-1 chosen, rows 2-3 rejected, TRL's
 * concatenated batch) around the policy's own log-probs, chosen so that pair 0 has lw > ll and
 * pair 1 has lw < ll; with the examples packages/core's references take.
 */
export function preferenceFixture(policy: readonly number[]): {
  refChosen: number[];
  refRejected: number[];
  probs: { chosen_probs: number[]; chosen_probs_win: number[]; chosen_probs_lose: number[] };
  examples: PreferenceExample[];
} {
  const refChosen = [(policy[0] as number) - 0.7, (policy[1] as number) + 0.4];
  const refRejected = [(policy[2] as number) + 0.3, (policy[3] as number) - 0.9];
  const probs = { chosen_probs: [0.87, 0.62], chosen_probs_win: [0.67, 0.58], chosen_probs_lose: [0.27, 0.44] };
  const examples = [0, 1].map((i) => ({
    policyChosenLogp: policy[i] as number,
    policyRejectedLogp: policy[i + 2] as number,
    referenceChosenLogp: refChosen[i] as number,
    referenceRejectedLogp: refRejected[i] as number,
    chosenProbs: probs.chosen_probs[i] as number,
    chosenProbsWin: probs.chosen_probs_win[i] as number,
    chosenProbsLose: probs.chosen_probs_lose[i] as number,
  }));
  return { refChosen, refRejected, probs, examples };
}

/**
 * Response log-probs of a batch through a generation-model session (graph (1)) as a generator runs
 * it: the first `prefill` columns in one step, then one column per step, each step feeding the
 * previous presents back as the past and position ids derived from the whole mask so far
 * (transformers.js). `onPresent` sees every present (shape checks).
 */
export async function logpsThroughCache(
  session: ort.InferenceSession,
  config: { num_hidden_layers: number; num_key_value_heads: number; head_dim: number; vocab_size: number },
  batch: PaddedBatch,
  prefill: number,
  onPresent?: (present: ort.Tensor, end: number) => void,
): Promise<number[]> {
  const B = batch.inputIds.length;
  const T = batch.inputIds[0]?.length ?? 0;
  const V = config.vocab_size;
  let past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < config.num_hidden_layers; i++) {
    for (const kind of ['key', 'value']) {
      past[`past_key_values.${i}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [B, config.num_key_value_heads, 0, config.head_dim]);
    }
  }
  const logits: Float32Array[][] = batch.inputIds.map(() => []); // [B][t] -> row of V
  for (let start = 0; start < T; ) {
    const end = start === 0 ? prefill : start + 1;
    const cols = (m: number[][]): number[][] => m.map((r) => r.slice(start, end));
    const mask = batch.attentionMask.map((r) => r.slice(0, end));
    const out = await session.run({
      input_ids: int64(cols(batch.inputIds)),
      attention_mask: int64(mask),
      position_ids: int64(cols(positionIdsFromMask(mask))),
      ...past,
    });
    const data = out.logits?.data as Float32Array;
    const n = end - start;
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < n; t++) logits[b]?.push(data.slice((b * n + t) * V, (b * n + t + 1) * V));
    }
    past = {};
    for (let i = 0; i < config.num_hidden_layers; i++) {
      for (const kind of ['key', 'value']) {
        const present = out[`present.${i}.${kind}`];
        if (!present) throw new Error(`no present.${i}.${kind}`);
        onPresent?.(present, end);
        past[`past_key_values.${i}.${kind}`] = present;
      }
    }
    start = end;
  }
  return batch.inputIds.map((ids, b) => {
    let sum = 0;
    for (let t = 1; t < T; t++) {
      if (batch.responseMask[b]?.[t] !== 1) continue;
      const row = logits[b]?.[t - 1] as Float32Array;
      let m = -Infinity;
      for (const v of row) m = Math.max(m, v);
      const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
      sum += (row[ids[t] as number] as number) - m - Math.log(z);
    }
    return sum;
  });
}
