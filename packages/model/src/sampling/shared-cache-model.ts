/**
 * Chooses the decoding graph for a model folder. Our checkpoints (config.json + safetensors of a
 * family the engine builds, model.onnx at the root) get the shared-cache decoder
 * (graphs/shared-cache.ts), built in memory from the weights: the KV cache is appended in place
 * instead of copied every step, and a prefill computes the last position's logits only (weights
 * past 1.5 GiB only with kvCache 'shared': they are handed to the session as in-memory external
 * data, at the cost of extra copies while it loads). Anything else (an optimum export, a config
 * the shared-cache graph does not cover, a non-CPU provider) runs the folder's ONNX file.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readCheckpointWeights } from '../checkpoint-weights.ts';
import { parseLlamaConfig } from '../config.ts';
import { buildSharedCacheDecoderFiles, sharedCacheUnsupported, type SharedCacheDecoderFiles } from '../graphs/shared-cache.ts';
import { parameterShapes } from '../llama/params.ts';
import { openDecoder, type DecoderModel, type DecoderOptions } from './decoder.ts';
import { SamplingError } from './errors.ts';
import type { ModelFolder } from './model-folder.ts';

/**
 * 'concat' (the engine's default): the folder's ONNX file; 'auto': the shared-cache graph where it
 * applies; 'shared': it or an error. Measured on 2 CPU cores (bench generate, one quiet run, the
 * `small` preset, two replicas): the shared-cache graph is 1.07x the concat graph at 5 rows and
 * 1.15x at 40, but 0.89x at 160 rows (and a slower prefill there), the size of a generator
 * shard; so it is not the default.
 */
export type KvCacheMode = 'auto' | 'shared' | 'concat';
export const KV_CACHE_MODES: readonly KvCacheMode[] = ['auto', 'shared', 'concat'];

/** Float32 weights above this go to an in-memory external data buffer (a protobuf message stays under 2 GiB). */
const MAX_EMBEDDED_WEIGHT_BYTES = 1.5 * 2 ** 30;

/** Why the folder cannot use the shared-cache decoder before its config is read, or undefined. */
function sharedCacheBlocker(folder: ModelFolder, executionProvider: string): string | undefined {
  if (executionProvider !== 'cpu') return `the shared-cache decoder is built for the cpu provider, not ${executionProvider}`;
  if (folder.onnxPath !== join(folder.dir, 'model.onnx')) return 'the folder is an exported model (onnx/ subfolder), not a checkpoint of ours';
  return undefined;
}

export async function openFolderDecoder(folder: ModelFolder, mode: KvCacheMode, options: DecoderOptions): Promise<DecoderModel> {
  if (!KV_CACHE_MODES.includes(mode)) {
    throw new SamplingError('invalid_params', `kv_cache must be one of ${KV_CACHE_MODES.join(', ')}, got ${JSON.stringify(mode)}`, { param: 'kv_cache' });
  }
  if (mode !== 'concat') {
    const built = await buildForFolder(folder, options.executionProvider ?? 'cpu', mode);
    if (typeof built !== 'string') {
      return openDecoder(built.model, { ...options, sharedCache: true, ...(built.externalData === null ? {} : { externalData: [built.externalData] }) });
    }
    if (mode === 'shared') throw new SamplingError('invalid_params', `kv_cache "shared" is not available for ${folder.dir}: ${built}. Use "auto" or "concat".`, { param: 'kv_cache' });
  }
  return openDecoder(folder.onnxPath, options);
}

/** The shared-cache graph, or the reason it cannot be built for this folder. */
async function buildForFolder(folder: ModelFolder, executionProvider: string, mode: KvCacheMode): Promise<SharedCacheDecoderFiles | string> {
  const blocker = sharedCacheBlocker(folder, executionProvider);
  if (blocker !== undefined) return blocker;
  let config;
  try {
    config = parseLlamaConfig(folder.config);
  } catch (e) {
    return `its config.json is not one the engine builds (${(e as Error).message.split('\n')[0]})`;
  }
  const unsupported = sharedCacheUnsupported(config);
  if (unsupported !== undefined) return unsupported;
  const bytes = parameterShapes(config).reduce((n, { shape }) => n + 4 * shape.reduce((a, b) => a * b, 1), 0);
  // Past 1.5 GiB the weights reach the session as in-memory external data: the build holds them
  // twice and ORT copies them once more (Qwen2.5-0.5B's shape: 7.2 GB peak against model.onnx's
  // 2.8 GB, at equal speed, bench real-size). 'auto' keeps model.onnx there; 'shared' asks for it.
  if (mode === 'auto' && bytes > MAX_EMBEDDED_WEIGHT_BYTES) return `its ${(bytes / 2 ** 30).toFixed(1)} GiB of float32 weights would be held twice while the in-memory graph is built`;
  const files = await readdir(folder.dir);
  const { weights } = await readCheckpointWeights(folder.dir, config, files);
  return buildSharedCacheDecoderFiles(config, weights, { external: bytes > MAX_EMBEDDED_WEIGHT_BYTES });
}
