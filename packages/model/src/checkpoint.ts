/**
 * The checkpoint folder (ARCHITECTURE 3.4), laid out as HF `save_pretrained` does so that
 * transformers, transformers.js and our services all load it:
 *   config.json, generation_config.json, model.safetensors, tokenizer.json, tokenizer_config.json,
 *   model.onnx (decoder-with-past graph), training_args.json, metrics.json, _COMPLETE.
 *
 * Durability: every file is written and fsynced inside a hidden temp folder beside the target,
 * `_COMPLETE` last, then the folder is renamed into place. A crash leaves either no folder or a
 * whole one; a reader refuses a folder without `_COMPLETE`.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { llamaConfigToJson, parseLlamaConfig, TRANSFORMERS_VERSION, type LlamaConfig } from './config.ts';
import { readCheckpointWeights, serializeWeights } from './checkpoint-weights.ts';
import { defaultGenerationConfig, type GenerationConfig } from './generation-config.ts';
import { createTokenizer, type LoadedTokenizer } from './tokenizer.ts';
import { chatTemplateOf, type TokenizerConfig, type TokenizerJson } from './tokenizer-files.ts';

export const COMPLETE_MARKER = '_COMPLETE';

/** What a caller hands to writeCheckpoint. */
export interface CheckpointInput {
  config: LlamaConfig;
  weights: ReadonlyMap<string, Float32Array | Float64Array>;
  tokenizerJson: TokenizerJson;
  tokenizerConfig: TokenizerConfig;
  generationConfig?: GenerationConfig;
  /** model.onnx bytes, or a builder called with the weights (e.g. graphs' buildGenerationModel). */
  onnx?: Uint8Array | ((config: LlamaConfig, weights: ReadonlyMap<string, Float32Array | Float64Array>) => Uint8Array | Promise<Uint8Array>);
  /** The resolved run config (STYLE 5). */
  trainingArgs?: unknown;
  metrics?: unknown;
  /** Further files by name, e.g. 'model.onnx_data' for a graph with external weights (chunks are
   *  written one after the other, so a file may exceed one buffer's size). */
  extraFiles?: Record<string, Uint8Array | readonly Uint8Array[] | string>;
}

export interface CompleteMarker {
  format: 'sppo-checkpoint/1';
  files: Record<string, { bytes: number; sha256: string }>;
}

/** Thrown when the target folder already holds a complete checkpoint and overwrite is false. */
export class CheckpointExistsError extends Error {
  readonly dir: string;
  constructor(dir: string) {
    super(`A complete checkpoint already exists at ${dir}; pass { overwrite: true } to replace it`);
    this.name = 'CheckpointExistsError';
    this.dir = dir;
  }
}

function json(value: unknown): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

async function writeSynced(path: string, chunks: readonly Uint8Array[]): Promise<void> {
  const fh = await open(path, 'wx');
  try {
    // writeFile loops until every byte is written (one write() may write less, e.g. past 2 GiB)
    // and continues from the current position, so chunks land one after the other.
    for (const chunk of chunks) await fh.writeFile(chunk);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** fsync a directory so a rename or a new entry in it survives a crash (no-op where unsupported). */
async function syncDir(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
    await fh.sync();
  } catch {
    // Windows cannot open directories; the rename is still atomic there.
  } finally {
    await fh?.close();
  }
}

export async function isCheckpointComplete(dir: string): Promise<boolean> {
  return stat(join(dir, COMPLETE_MARKER)).then(
    () => true,
    () => false,
  );
}

/** The files of a checkpoint, in write order (without `_COMPLETE`). */
async function checkpointFiles(input: CheckpointInput, tokenizerVocab: number): Promise<[string, readonly Uint8Array[]][]> {
  const { config } = input;
  if (tokenizerVocab > config.vocab_size) {
    throw new Error(
      `The tokenizer has ${tokenizerVocab} ids but config.vocab_size is ${config.vocab_size}: ` +
        'the embedding must have a row for every token id (raise vocab_size)',
    );
  }
  const files: [string, readonly Uint8Array[]][] = [
    ['config.json', [json(llamaConfigToJson(config))]],
    ['generation_config.json', [json({ ...(input.generationConfig ?? defaultGenerationConfig(config)), transformers_version: TRANSFORMERS_VERSION })]],
    ['tokenizer.json', [json(input.tokenizerJson)]],
    ['tokenizer_config.json', [json(input.tokenizerConfig)]],
    ['model.safetensors', [serializeWeights(config, input.weights)]],
  ];
  if (input.onnx !== undefined) {
    const onnx = typeof input.onnx === 'function' ? await input.onnx(config, input.weights) : input.onnx;
    files.push(['model.onnx', [onnx]]);
  }
  if (input.trainingArgs !== undefined) files.push(['training_args.json', [json(input.trainingArgs)]]);
  if (input.metrics !== undefined) files.push(['metrics.json', [json(input.metrics)]]);
  for (const [name, data] of Object.entries(input.extraFiles ?? {})) {
    // A plain name or one sub-folder level (`adapter/adapter_config.json`, a use_peft round's PEFT files).
    if (!/^[^/\\]+(\/[^/\\]+)?$/.test(name) || name.split('/').some((s) => s === '..' || s === '.') || name === COMPLETE_MARKER || files.some(([n]) => n === name)) {
      throw new Error(`extraFiles: ${JSON.stringify(name)} is not a valid extra file name (a plain name or folder/name, not a standard file)`);
    }
    files.push([name, typeof data === 'string' ? [new TextEncoder().encode(data)] : data instanceof Uint8Array ? [data] : data]);
  }
  return files;
}

export interface WriteCheckpointOptions {
  /** Replace an existing complete checkpoint (an incomplete folder is always replaced). */
  overwrite?: boolean;
}

/** Writes a checkpoint folder atomically; returns what `_COMPLETE` records. */
export async function writeCheckpoint(
  dir: string,
  input: CheckpointInput,
  { overwrite = false }: WriteCheckpointOptions = {},
): Promise<CompleteMarker> {
  if (!overwrite && (await isCheckpointComplete(dir))) throw new CheckpointExistsError(dir);
  // Validates the tokenizer files before anything touches the disk.
  const tokenizer = createTokenizer(input.tokenizerJson, input.tokenizerConfig);
  const files = await checkpointFiles(input, tokenizer.vocabSize);
  return writeFolderAtomically(dir, files, {
    // A complete checkpoint that appeared while this one was being written is not replaced either.
    beforeReplace: async () => {
      if (!overwrite && (await isCheckpointComplete(dir))) throw new CheckpointExistsError(dir);
    },
  });
}

/**
 * Writes `files` (name, chunks) and then `_COMPLETE` (each file's size and sha256) into a
 * temporary sibling folder, every file fsynced, and moves it into place as `dir` (an existing
 * folder is swapped out and deleted), so a reader sees a whole folder or none. Returns the marker.
 */
export async function writeFolderAtomically(
  dir: string,
  files: Iterable<readonly [string, readonly Uint8Array[]]>,
  { beforeReplace }: { beforeReplace?: () => Promise<void> } = {},
): Promise<CompleteMarker> {
  const parent = dirname(dir);
  await mkdir(parent, { recursive: true });
  const tmp = join(parent, `.${basename(dir)}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`);
  await mkdir(tmp);
  try {
    const marker: CompleteMarker = { format: 'sppo-checkpoint/1', files: {} };
    for (const [name, chunks] of files) {
      if (name.includes('/')) await mkdir(dirname(join(tmp, name)), { recursive: true }); // e.g. adapter/ (PEFT files)
      await writeSynced(join(tmp, name), chunks);
      const hash = createHash('sha256');
      for (const c of chunks) hash.update(c);
      marker.files[name] = { bytes: chunks.reduce((n, c) => n + c.byteLength, 0), sha256: hash.digest('hex') };
    }
    await writeSynced(join(tmp, COMPLETE_MARKER), [json(marker)]);
    await syncDir(tmp);
    if (await stat(dir).then(() => true, () => false)) {
      await beforeReplace?.();
      const trash = `${tmp}.old`;
      await rename(dir, trash);
      await rename(tmp, dir);
      await rm(trash, { recursive: true, force: true });
    } else {
      await rename(tmp, dir);
    }
    await syncDir(parent);
    return marker;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

export interface ReadCheckpointOptions {
  /** Refuse a folder without `_COMPLETE` (default). False loads a plain HF model folder. */
  requireComplete?: boolean;
  /** Also compare every file with the sha256 recorded in `_COMPLETE` (sizes are always checked). */
  verifyHashes?: boolean;
}

export interface Checkpoint {
  dir: string;
  config: LlamaConfig;
  /** Float32 weights keyed by HF name, exactly the parameters of `config`. */
  weights: Map<string, Float32Array>;
  /** Tensors of the file that are not parameters of the config (e.g. rotary caches), ignored. */
  ignoredTensors: string[];
  tokenizer: LoadedTokenizer;
  tokenizerJson: TokenizerJson;
  tokenizerConfig: TokenizerConfig;
  generationConfig?: GenerationConfig;
  /** Path of model.onnx when the folder has one. */
  onnxPath?: string;
  trainingArgs?: unknown;
  metrics?: unknown;
  /** Every file name in the folder. */
  files: string[];
}

async function readJsonFile(dir: string, name: string, optional: boolean): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(join(dir, name), 'utf8');
  } catch (e) {
    if (optional && (e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`Checkpoint ${dir}: cannot read ${name}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`Checkpoint ${dir}: ${name} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Reads a checkpoint folder (ours, or an HF LlamaForCausalLM folder with `requireComplete: false`). */
export async function readCheckpoint(
  dir: string,
  { requireComplete = true, verifyHashes = false }: ReadCheckpointOptions = {},
): Promise<Checkpoint> {
  const files = await readdir(dir).catch((e: Error) => {
    throw new Error(`Checkpoint folder ${dir} cannot be read: ${e.message}`);
  });
  if (files.includes(COMPLETE_MARKER)) {
    const marker = (await readJsonFile(dir, COMPLETE_MARKER, false)) as Partial<CompleteMarker>;
    for (const [name, rec] of Object.entries(marker.files ?? {})) {
      const size = await stat(join(dir, name)).then((s) => s.size, () => undefined);
      if (size === undefined || size !== rec.bytes) {
        throw new Error(
          `Checkpoint ${dir} is corrupt: ${name} ${size === undefined ? 'is missing' : `has ${size} bytes`} ` +
            `but ${COMPLETE_MARKER} records ${rec.bytes}; re-copy or re-create the checkpoint`,
        );
      }
      if (verifyHashes && createHash('sha256').update(await readFile(join(dir, name))).digest('hex') !== rec.sha256) {
        throw new Error(`Checkpoint ${dir} is corrupt: ${name} does not match the sha256 in ${COMPLETE_MARKER}`);
      }
    }
  } else if (requireComplete) {
    throw new Error(
      `Checkpoint ${dir} has no ${COMPLETE_MARKER} marker: it is incomplete (still being written, or its ` +
        'writer crashed) and must not be used. For a plain HF model folder, pass { requireComplete: false }.',
    );
  }
  const config = parseLlamaConfig(await readJsonFile(dir, 'config.json', false));
  const { weights, ignoredTensors } = await readCheckpointWeights(dir, config, files);
  const tokenizerJson = (await readJsonFile(dir, 'tokenizer.json', false)) as TokenizerJson;
  const tokenizerConfig = (await readJsonFile(dir, 'tokenizer_config.json', false)) as TokenizerConfig;
  if (chatTemplateOf(tokenizerConfig) === undefined && files.includes('chat_template.jinja')) {
    tokenizerConfig.chat_template = await readFile(join(dir, 'chat_template.jinja'), 'utf8');
  }
  const checkpoint: Checkpoint = {
    dir,
    config,
    weights,
    ignoredTensors,
    tokenizer: createTokenizer(tokenizerJson, tokenizerConfig),
    tokenizerJson,
    tokenizerConfig,
    files,
  };
  const generationConfig = await readJsonFile(dir, 'generation_config.json', true);
  if (generationConfig !== undefined) checkpoint.generationConfig = generationConfig as GenerationConfig;
  if (files.includes('model.onnx')) checkpoint.onnxPath = join(dir, 'model.onnx');
  const trainingArgs = await readJsonFile(dir, 'training_args.json', true);
  if (trainingArgs !== undefined) checkpoint.trainingArgs = trainingArgs;
  const metrics = await readJsonFile(dir, 'metrics.json', true);
  if (metrics !== undefined) checkpoint.metrics = metrics;
  return checkpoint;
}
