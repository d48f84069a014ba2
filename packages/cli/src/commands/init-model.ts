// `./sppo init-model --out DIR`: a random-init Llama-family checkpoint folder (config.json,
// model.safetensors, tokenizer.json, tokenizer_config.json with the chat template,
// generation_config.json, model.onnx) that every service and HF tool loads. Weights follow HF's
// `_init_weights` (packages/model init.ts); the tokenizer is a byte-level BPE trained here, on a
// built-in synthetic corpus unless --corpus is given, so nothing is downloaded. Deterministic: the
// same options give the same bytes.
import { readFile } from 'node:fs/promises';
import {
  buildGenerationModelFiles,
  CheckpointExistsError,
  countParameters,
  createTokenizer,
  END_OF_TURN_TOKEN,
  EXTERNAL_DATA_FILE,
  initializeWeights,
  parseLlamaConfig,
  PRESET_NAMES,
  presetConfigForTokenizer,
  syntheticCorpus,
  trainBpeTokenizer,
  writeCheckpoint,
  type LlamaConfig,
  type LoadedTokenizer,
  type PresetName,
} from '@sppo/model';
import { parseArgs, rejectUnknown, requireOption } from '../args.ts';
import { UsageError } from '../errors.ts';

const USAGE =
  './sppo init-model --out DIR [--preset tiny|small] [--config FILE] [--seed N] [--vocab-size N] [--corpus FILE] [--overwrite]';
const OPTIONS = ['out', 'preset', 'config', 'seed', 'vocab-size', 'corpus'];
/** The presets are sized at this vocabulary (packages/model presets.ts). */
const DEFAULT_VOCAB_SIZE = 512;

function intOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** Plain text, one document per non-empty line. */
async function readCorpus(path: string): Promise<string[]> {
  const docs = (await readText(path, '--corpus')).split('\n').filter((line) => line.trim() !== '');
  if (docs.length === 0) throw new UsageError(`--corpus ${path} has no text: give a file with one document per line`);
  return docs;
}

/**
 * The user's HF config.json with the special-token ids of our tokenizer (the config's own ids
 * would point at other tokens of another vocabulary), as presetConfigForTokenizer does.
 */
function configFromFile(json: unknown, path: string, tokenizer: LoadedTokenizer): LlamaConfig {
  let parsed: LlamaConfig;
  try {
    // The file's special-token ids are replaced below, so they are not checked against its vocabulary.
    const fields = typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as Record<string, unknown>) : undefined;
    const { bos_token_id: _bos, eos_token_id: _eos, pad_token_id: _pad, ...rest } = fields ?? {};
    parsed = parseLlamaConfig(fields === undefined ? json : rest);
  } catch (e) {
    throw new UsageError(`--config ${path}: ${(e as Error).message}`);
  }
  if (tokenizer.vocabSize > parsed.vocab_size) {
    throw new UsageError(
      `--config ${path}: vocab_size ${parsed.vocab_size} is smaller than the tokenizer's ${tokenizer.vocabSize} ids; ` +
        'raise vocab_size or pass a smaller --vocab-size',
    );
  }
  const endOfTurn = tokenizer.tokenToId(END_OF_TURN_TOKEN);
  return {
    ...parsed,
    bos_token_id: tokenizer.bosId,
    eos_token_id: endOfTurn === undefined ? tokenizer.eosId : [tokenizer.eosId, endOfTurn],
    pad_token_id: tokenizer.padId,
  };
}

function log(message: string): void {
  process.stderr.write(`init-model: ${message}\n`);
}

export async function runInitModel(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flagNames: ['overwrite'] });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}. Usage: ${USAGE}`);
  const out = requireOption(args, 'out', USAGE);
  rejectUnknown(args, OPTIONS);
  const presetName = args.options.get('preset');
  const configPath = args.options.get('config');
  if (presetName !== undefined && configPath !== undefined) {
    throw new UsageError('pass either --preset or --config, not both (--config replaces the preset)');
  }
  const preset = (presetName ?? 'tiny') as PresetName;
  if (!PRESET_NAMES.includes(preset)) {
    throw new UsageError(`unknown --preset ${JSON.stringify(presetName)}. Valid presets: ${PRESET_NAMES.join(', ')}`);
  }
  const seed = intOption(args.options.get('seed'), 'seed', 0) ?? 0;
  const userConfig = configPath === undefined ? undefined : await readJson(configPath);
  const configVocab = (userConfig as { vocab_size?: unknown } | undefined)?.vocab_size;
  const vocabSize =
    intOption(args.options.get('vocab-size'), 'vocab-size', 1) ?? (typeof configVocab === 'number' ? configVocab : DEFAULT_VOCAB_SIZE);
  const corpusPath = args.options.get('corpus');
  const corpus = corpusPath === undefined ? syntheticCorpus() : await readCorpus(corpusPath);

  let started = performance.now();
  let trained;
  try {
    trained = trainBpeTokenizer({ corpus, vocabSize });
  } catch (e) {
    throw new UsageError(`--vocab-size: ${(e as Error).message}`);
  }
  const tokenizer = createTokenizer(trained.tokenizerJson, trained.tokenizerConfig);
  log(`tokenizer: ${tokenizer.vocabSize} ids from ${corpus.length} documents (${corpusPath ?? 'synthetic corpus'}), ${ms(started)}`);

  const config = userConfig === undefined ? presetConfigForTokenizer(preset, tokenizer) : configFromFile(userConfig, configPath as string, tokenizer);
  // The tokenizer's model_max_length follows the model's context, as HF tokenizers of a model do.
  trained.tokenizerConfig.model_max_length = config.max_position_embeddings;
  started = performance.now();
  const weights = initializeWeights(config, { seed });
  const params = countParameters(config);
  log(`${userConfig === undefined ? `preset ${preset}` : `config ${configPath}`}: ${(params / 1e6).toFixed(2)}M parameters, seed ${seed}, ${ms(started)}`);

  started = performance.now();
  const onnx = buildGenerationModelFiles(config, weights);
  log(`model.onnx: ${(onnx.model.byteLength / 2 ** 20).toFixed(1)} MiB${onnx.externalData ? ` + ${EXTERNAL_DATA_FILE}` : ''}, ${ms(started)}`);
  try {
    await writeCheckpoint(
      out,
      {
        config,
        weights,
        tokenizerJson: trained.tokenizerJson,
        tokenizerConfig: trained.tokenizerConfig,
        onnx: onnx.model,
        ...(onnx.externalData ? { extraFiles: { [onnx.externalData.fileName]: onnx.externalData.chunks } } : {}),
      },
      { overwrite: args.flags.has('overwrite') },
    );
  } catch (e) {
    if (e instanceof CheckpointExistsError) throw new UsageError(`${out} already holds a checkpoint; pass --overwrite to replace it`);
    throw e;
  }
  log(`wrote ${out}`);
  return 0;
}

async function readJson(path: string): Promise<unknown> {
  const text = await readText(path, '--config');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`--config ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

function ms(since: number): string {
  return `${Math.round(performance.now() - since)} ms`;
}
