/**
 * What the sampler needs from a model folder: the decoder-with-past ONNX file, the tokenizer,
 * the stop ids and the context window. Works for our checkpoints (ARCHITECTURE 3.4: `model.onnx`
 * at the root) and for HF folders exported by optimum / used by transformers.js (`onnx/model.onnx`
 * or `onnx/decoder_model_merged.onnx`). Only JSON is read here; the weights stay in the ONNX file.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { COMPLETE_MARKER } from '../checkpoint.ts';
import { loadTokenizer, type LoadedTokenizer } from '../tokenizer.ts';
import { stopTokenIds } from '../tokenizer-stops.ts';
import { SamplingError } from './errors.ts';

/** Where an ONNX decoder is looked for, in order. */
export const ONNX_CANDIDATES = ['model.onnx', 'onnx/model.onnx', 'onnx/decoder_model_merged.onnx', 'decoder_model_merged.onnx'] as const;

export interface ModelFolder {
  dir: string;
  /** A display name (the folder name), used as the OpenAI model id by default. */
  name: string;
  onnxPath: string;
  tokenizer: LoadedTokenizer;
  /** generation_config.json's eos_token_id, else config.json's, else the tokenizer's EOS; plus the chat template's end-of-turn token (tokenizer-stops.ts). */
  eosTokenIds: number[];
  /** config.json max_position_embeddings: prompt + generated tokens never exceed it. */
  contextLength: number | undefined;
  /** From config.json, used when the graph leaves them symbolic. */
  numKeyValueHeads: number | undefined;
  headDim: number | undefined;
  chatTemplate: string | undefined;
  /** config.json as read ({} without one), so nothing reads it again (the shared-cache graph is built from it). */
  config: Readonly<Record<string, unknown>>;
}

export interface LoadModelFolderOptions {
  /** Refuse a folder without `_COMPLETE` (checkpoints of a run). Default false: any HF folder. */
  requireComplete?: boolean;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

async function readJsonIfAny(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new SamplingError('invalid_model', `${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function ids(value: unknown): number[] | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'number' && Number.isInteger(v))) return value as number[];
  return undefined;
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

export async function loadModelFolder(dirInput: string, { requireComplete = false }: LoadModelFolderOptions = {}): Promise<ModelFolder> {
  const dir = resolve(dirInput);
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory()) {
    throw new SamplingError('invalid_model', `model folder ${dir} does not exist: pass a checkpoint folder (config.json, tokenizer.json, model.onnx)`, { param: 'model' });
  }
  if (requireComplete && !(await exists(join(dir, COMPLETE_MARKER)))) {
    throw new SamplingError('invalid_model', `checkpoint ${dir} has no ${COMPLETE_MARKER} marker: it is incomplete and must not be used`, { param: 'model' });
  }
  let onnxPath: string | undefined;
  for (const candidate of ONNX_CANDIDATES) {
    if (await exists(join(dir, candidate))) {
      onnxPath = join(dir, candidate);
      break;
    }
  }
  if (onnxPath === undefined) {
    throw new SamplingError(
      'invalid_model',
      `model folder ${dir} has no ONNX decoder: looked for ${ONNX_CANDIDATES.join(', ')}. ` +
        'Write checkpoints with model.onnx (buildGenerationModel) or export an HF model with optimum (text-generation-with-past).',
      { param: 'model' },
    );
  }
  let tokenizer: LoadedTokenizer;
  try {
    tokenizer = await loadTokenizer(dir);
  } catch (e) {
    throw new SamplingError('invalid_model', `model folder ${dir}: the tokenizer cannot be loaded: ${(e as Error).message}`, { param: 'model', cause: e });
  }
  const config = (await readJsonIfAny(join(dir, 'config.json'))) ?? {};
  const generation = (await readJsonIfAny(join(dir, 'generation_config.json'))) ?? {};
  const heads = positiveInt(config.num_attention_heads);
  const hidden = positiveInt(config.hidden_size);
  return {
    dir,
    name: basename(dir),
    onnxPath,
    tokenizer,
    eosTokenIds: stopTokenIds(tokenizer, { configured: ids(generation.eos_token_id) ?? ids(config.eos_token_id) }),
    contextLength: positiveInt(config.max_position_embeddings),
    numKeyValueHeads: positiveInt(config.num_key_value_heads) ?? heads,
    headDim: positiveInt(config.head_dim) ?? (heads !== undefined && hidden !== undefined ? hidden / heads : undefined),
    chatTemplate: tokenizer.chatTemplate,
    config,
  };
}
