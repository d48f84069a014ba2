/**
 * model.safetensors <-> weights keyed by HF parameter name, checked against the config. Reads a
 * single file or an HF sharded set (`model.safetensors.index.json` with its `weight_map`).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LlamaConfig } from './config.ts';
import { numel, parameterSpecs } from './parameters.ts';
import { readSafetensors, roundToDtype, writeSafetensors, type SafetensorsTensor, type WritableDtype } from './safetensors.ts';

/**
 * The safetensors dtype a config's weights are written in: its torch_dtype (the source checkpoint's
 * dtype, kept by default, as HF `save_pretrained` keeps the loaded dtype); float64 is written as F32.
 */
export function safetensorsDtypeOf(config: Pick<LlamaConfig, 'torch_dtype'>): WritableDtype {
  if (config.torch_dtype === 'bfloat16') return 'BF16';
  if (config.torch_dtype === 'float16') return 'F16';
  return 'F32';
}

/**
 * The weights as the config's torch_dtype stores them (the same arrays for float32): what a reload
 * of the written model.safetensors gives, so a model.onnx built from these scores exactly what the
 * folder's safetensors score.
 */
export function roundWeightsToDtype<T extends Float32Array | Float64Array>(
  config: Pick<LlamaConfig, 'torch_dtype'>,
  weights: ReadonlyMap<string, T>,
): Map<string, T | Float32Array> {
  const dtype = safetensorsDtypeOf(config);
  if (dtype === 'F32') return new Map(weights);
  return new Map([...weights].map(([name, w]) => [name, roundToDtype(w instanceof Float32Array ? w : Float32Array.from(w), dtype)]));
}

/** The config's parameters as one safetensors file in its torch_dtype, in parameterSpecs order. */
export function serializeWeights(config: LlamaConfig, weights: ReadonlyMap<string, Float32Array | Float64Array>): Uint8Array {
  const specs = parameterSpecs(config);
  const problems: string[] = [];
  const tensors: [string, SafetensorsTensor<Float32Array | Float64Array>][] = [];
  for (const { name, shape } of specs) {
    const data = weights.get(name);
    if (data === undefined) problems.push(`missing ${name} [${shape.join(', ')}]`);
    else if (data.length !== numel(shape)) {
      problems.push(`${name} has ${data.length} values, expected ${numel(shape)} for [${shape.join(', ')}]`);
    } else tensors.push([name, { shape, data }]);
  }
  const known = new Set(specs.map((s) => s.name));
  for (const name of weights.keys()) if (!known.has(name)) problems.push(`${name} is not a parameter of this config`);
  if (problems.length > 0) {
    throw new Error(
      `Weights do not match the config (${problems.length} problem(s)):\n  - ${problems.join('\n  - ')}\n` +
        'Check hidden_size, heads, layers, tie_word_embeddings and attention_bias against the weights.',
    );
  }
  return writeSafetensors(tensors, undefined, safetensorsDtypeOf(config));
}

export interface CheckpointWeights {
  weights: Map<string, Float32Array>;
  ignoredTensors: string[];
}

/** Loads and validates the weights of a folder: every parameter present with its exact shape. */
export async function readCheckpointWeights(dir: string, config: LlamaConfig, files: readonly string[]): Promise<CheckpointWeights> {
  let shardFiles: string[];
  if (files.includes('model.safetensors')) shardFiles = ['model.safetensors'];
  else if (files.includes('model.safetensors.index.json')) {
    const index = JSON.parse(await readFile(join(dir, 'model.safetensors.index.json'), 'utf8')) as { weight_map?: Record<string, string> };
    shardFiles = [...new Set(Object.values(index.weight_map ?? {}))];
    if (shardFiles.length === 0) throw new Error(`Checkpoint ${dir}: model.safetensors.index.json has an empty weight_map`);
  } else {
    const hint = files.some((f) => f.endsWith('.bin')) ? ' (PyTorch .bin weights are not supported: convert them to safetensors)' : '';
    throw new Error(`Checkpoint ${dir} has no model.safetensors or model.safetensors.index.json${hint}`);
  }
  const all = new Map<string, SafetensorsTensor>();
  for (const file of shardFiles) {
    const bytes = await readFile(join(dir, file)).catch((e: Error) => {
      throw new Error(`Checkpoint ${dir}: cannot read ${file}: ${e.message}`);
    });
    for (const [name, t] of readSafetensors(bytes, join(dir, file)).tensors) all.set(name, t);
  }
  const weights = new Map<string, Float32Array>();
  const problems: string[] = [];
  for (const { name, shape } of parameterSpecs(config)) {
    const t = all.get(name);
    if (t === undefined) problems.push(`missing ${name} [${shape.join(', ')}]`);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`${name} has shape [${t.shape.join(', ')}], config.json implies [${shape.join(', ')}]`);
    } else weights.set(name, t.data);
  }
  if (problems.length > 0) {
    throw new Error(
      `Checkpoint ${dir}: the weights do not match config.json (${problems.length} problem(s)):\n  - ` +
        `${problems.join('\n  - ')}`,
    );
  }
  // HF ties lm_head to the embedding when tie_word_embeddings, even if the file stores both.
  const ignoredTensors = [...all.keys()].filter((n) => !weights.has(n));
  return { weights, ignoredTensors };
}
