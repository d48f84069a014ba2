// `./sppo init-model --out DIR`: a random-init checkpoint folder of any supported family (llama,
// mistral, qwen2, qwen3, gemma2; config.json, model.safetensors, tokenizer.json,
// tokenizer_config.json with the chat template, generation_config.json, model.onnx) that every
// service and HF tool loads. Weights follow HF's `_init_weights` (packages/model init.ts).
// --config takes a published config.json (packages/model/fixtures/configs/ has five) and
// --tokenizer a real tokenizer folder (tokenizer.json + tokenizer_config.json); without
// --tokenizer a byte-level BPE is trained here, on a built-in synthetic corpus unless --corpus is
// given, so nothing is downloaded. `--<config key>=VALUE` overrides a field of --config (shrinking
// a real shape for tests: --num_hidden_layers=2 --hidden_size=64 ...). Deterministic: the same
// options give the same bytes.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  buildGenerationModelFiles,
  endOfTurnToken,
  loadTokenizer,
  roundWeightsToDtype,
  safetensorsDtypeOf,
  CheckpointExistsError,
  countParameters,
  createTokenizer,
  END_OF_TURN_TOKEN,
  EXTERNAL_DATA_FILE,
  initializeWeights,
  parseLlamaConfig,
  PRESET_NAMES,
  presetConfigForTokenizer,
  SHAPE_FIELDS,
  syntheticCorpus,
  trainBpeTokenizer,
  writeCheckpoint,
  type LlamaConfig,
  type LoadedTokenizer,
  type PresetName,
  type TokenizerConfig,
  type TokenizerJson,
} from '@sppo/model';
import { parseArgs, rejectUnknown, requireOption } from '../args.ts';
import { UsageError } from '../errors.ts';

const USAGE =
  './sppo init-model (--out DIR [--preset tiny|small] | --config FILE [--tokenizer DIR] [--<config key>=VALUE ...] [--out DIR]) [--seed N] ' +
  '[--vocab-size N] [--corpus FILE] [--overwrite]';
const OPTIONS = ['out', 'preset', 'config', 'tokenizer', 'seed', 'vocab-size', 'corpus'];
/**
 * The config.json fields --config accepts overrides for: the shape (to shrink a published config
 * for tests and benchmarks), the window and the dtype the weights are written in.
 */
export const CONFIG_OVERRIDES = [
  ...SHAPE_FIELDS,
  'max_position_embeddings',
  'sliding_window',
  'max_window_layers',
  'query_pre_attn_scalar',
  'tie_word_embeddings',
  'torch_dtype',
] as const;
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
  const endOfTurn = tokenizer.tokenToId(END_OF_TURN_TOKEN);
  // The file's special-token ids belong to another vocabulary: ours replace them before parsing
  // (a family whose class has no default id, like Qwen's, would otherwise have none).
  const ids = {
    bos_token_id: tokenizer.bosId,
    eos_token_id: endOfTurn === undefined ? tokenizer.eosId : [tokenizer.eosId, endOfTurn],
    pad_token_id: tokenizer.padId,
  };
  let parsed: LlamaConfig;
  try {
    const isObject = typeof json === 'object' && json !== null && !Array.isArray(json);
    parsed = parseLlamaConfig(isObject ? { ...(json as Record<string, unknown>), ...ids } : json);
  } catch (e) {
    throw new UsageError(`--config ${path}: ${(e as Error).message}`);
  }
  if (tokenizer.vocabSize > parsed.vocab_size) {
    throw new UsageError(
      `--config ${path}: vocab_size ${parsed.vocab_size} is smaller than the tokenizer's ${tokenizer.vocabSize} ids; ` +
        'raise vocab_size or pass a smaller --vocab-size',
    );
  }
  return parsed;
}

function log(message: string): void {
  process.stderr.write(`init-model: ${message}\n`);
}

/**
 * Applies `--<key>=VALUE` overrides to a config.json object (values are JSON: numbers, true,
 * false, null; torch_dtype a plain name). Fewer layers also shorten an explicit layer_types.
 */
export function applyConfigOverrides(json: Record<string, unknown>, overrides: ReadonlyMap<string, string>): Record<string, unknown> {
  const out = { ...json };
  for (const [key, raw] of overrides) {
    let value: unknown = raw;
    if (key !== 'torch_dtype') {
      try {
        value = JSON.parse(raw);
      } catch {
        throw new UsageError(`--${key}=${raw}: the value must be a number, true, false or null`);
      }
    }
    out[key] = value;
  }
  const layers = out.num_hidden_layers;
  if (overrides.has('num_hidden_layers') && Array.isArray(out.layer_types) && typeof layers === 'number') {
    out.layer_types = out.layer_types.slice(0, layers);
  }
  return out;
}

/**
 * A real tokenizer folder's config: the config's own special-token ids when they are this
 * tokenizer's (its BOS, and its EOS among the config's EOS ids), otherwise the tokenizer's BOS,
 * PAD and EOS plus its chat template's end-of-turn token (a published config paired with a
 * related tokenizer, e.g. Gemma-2's with Gemma-3's, whose ids differ).
 */
function configForRealTokenizer(parsed: LlamaConfig, tokenizer: LoadedTokenizer, path: string): LlamaConfig {
  if (tokenizer.vocabSize > parsed.vocab_size) {
    throw new UsageError(
      `--config ${path}: vocab_size ${parsed.vocab_size} is smaller than the tokenizer's ${tokenizer.vocabSize} ids; ` +
        `pass --vocab_size=${tokenizer.vocabSize} (or larger)`,
    );
  }
  const eos = Array.isArray(parsed.eos_token_id) ? parsed.eos_token_id : [parsed.eos_token_id];
  const own = (!tokenizer.hasBos || parsed.bos_token_id === tokenizer.bosId) && eos.includes(tokenizer.eosId);
  if (own) return parsed;
  const endOfTurn = endOfTurnToken(tokenizer)?.id;
  const ids = endOfTurn === undefined || endOfTurn === tokenizer.eosId ? tokenizer.eosId : [tokenizer.eosId, endOfTurn];
  log(`the config's special-token ids are not this tokenizer's: using its BOS ${tokenizer.bosId}, EOS ${JSON.stringify(ids)}, PAD ${tokenizer.padId}`);
  return { ...parsed, bos_token_id: tokenizer.bosId, eos_token_id: ids, pad_token_id: tokenizer.padId };
}

export async function runInitModel(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flagNames: ['overwrite'] });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}. Usage: ${USAGE}`);
  // --out defaults, with --config, to a folder named after the config file (Qwen3-0.6B.json -> ./Qwen3-0.6B).
  const configOption = args.options.get('config');
  const out = args.options.has('out') || configOption === undefined ? requireOption(args, 'out', USAGE) : basename(configOption).replace(/\.json$/i, '');
  args.options.delete('out');
  const overrides = new Map<string, string>();
  for (const key of CONFIG_OVERRIDES) {
    const v = args.options.get(key);
    if (v !== undefined) {
      overrides.set(key, v);
      args.options.delete(key);
    }
  }
  rejectUnknown(args, [...OPTIONS, ...CONFIG_OVERRIDES]);
  const presetName = args.options.get('preset');
  const configPath = args.options.get('config');
  const tokenizerDir = args.options.get('tokenizer');
  if (configPath === undefined && (overrides.size > 0 || tokenizerDir !== undefined)) {
    throw new UsageError(`--tokenizer and --${[...overrides.keys()][0] ?? 'tokenizer'} apply to a --config file; pass --config FILE`);
  }
  if (tokenizerDir !== undefined && (args.options.has('corpus') || args.options.has('vocab-size'))) {
    throw new UsageError('--corpus and --vocab-size train a tokenizer; with --tokenizer DIR the folder\'s tokenizer is used');
  }
  if (presetName !== undefined && configPath !== undefined) {
    throw new UsageError('pass either --preset or --config, not both (--config replaces the preset)');
  }
  const preset = (presetName ?? 'tiny') as PresetName;
  if (!PRESET_NAMES.includes(preset)) {
    throw new UsageError(`unknown --preset ${JSON.stringify(presetName)}. Valid presets: ${PRESET_NAMES.join(', ')}`);
  }
  const seed = intOption(args.options.get('seed'), 'seed', 0) ?? 0;
  const fileConfig = configPath === undefined ? undefined : await readJson(configPath);
  if (fileConfig !== undefined && (typeof fileConfig !== 'object' || fileConfig === null || Array.isArray(fileConfig))) {
    throw new UsageError(`--config ${configPath}: config.json must be a JSON object`);
  }
  const userConfig = fileConfig === undefined ? undefined : applyConfigOverrides(fileConfig as Record<string, unknown>, overrides);
  if (tokenizerDir !== undefined) return initWithRealTokenizer(out, userConfig as Record<string, unknown>, configPath as string, tokenizerDir, seed, args.flags.has('overwrite'));
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
  await writeRandomCheckpoint(out, config, trained.tokenizerJson, trained.tokenizerConfig, {
    seed,
    label: userConfig === undefined ? `preset ${preset}` : `config ${configPath}`,
    overwrite: args.flags.has('overwrite'),
  });
  return 0;
}

/** --config with --tokenizer DIR: the folder's tokenizer files are copied into the checkpoint as they are. */
async function initWithRealTokenizer(out: string, json: Record<string, unknown>, configPath: string, dir: string, seed: number, overwrite: boolean): Promise<number> {
  let tokenizer: LoadedTokenizer;
  try {
    tokenizer = await loadTokenizer(dir);
  } catch (e) {
    throw new UsageError(`--tokenizer ${dir}: ${(e as Error).message}`);
  }
  let parsed: LlamaConfig;
  try {
    parsed = parseLlamaConfig(json);
  } catch (e) {
    throw new UsageError(`--config ${configPath}: ${(e as Error).message}`);
  }
  const config = configForRealTokenizer(parsed, tokenizer, configPath);
  log(`tokenizer: ${tokenizer.vocabSize} ids from ${dir}`);
  await writeRandomCheckpoint(out, config, tokenizer.tokenizerJson, tokenizer.tokenizerConfig, { seed, label: `config ${configPath}`, overwrite });
  return 0;
}

/**
 * Random weights for `config`, rounded to its torch_dtype (what model.safetensors stores, so the
 * model.onnx built from them scores exactly what a reload of the folder scores), and the folder.
 */
async function writeRandomCheckpoint(
  out: string,
  config: LlamaConfig,
  tokenizerJson: TokenizerJson,
  tokenizerConfig: TokenizerConfig,
  { seed, label, overwrite }: { seed: number; label: string; overwrite: boolean },
): Promise<void> {
  let started = performance.now();
  const dtype = safetensorsDtypeOf(config);
  const weights = roundWeightsToDtype(config, initializeWeights(config, { seed }));
  const params = countParameters(config);
  log(`${label}: ${config.model_type ?? 'llama'}, ${(params / 1e6).toFixed(2)}M parameters, ${dtype}, seed ${seed}, ${ms(started)}`);

  started = performance.now();
  const onnx = buildGenerationModelFiles(config, weights);
  log(`model.onnx: ${(onnx.model.byteLength / 2 ** 20).toFixed(1)} MiB${onnx.externalData ? ` + ${EXTERNAL_DATA_FILE}` : ''}, ${ms(started)}`);
  try {
    await writeCheckpoint(
      out,
      {
        config,
        weights,
        tokenizerJson,
        tokenizerConfig,
        onnx: onnx.model,
        ...(onnx.externalData ? { extraFiles: { [onnx.externalData.fileName]: onnx.externalData.chunks } } : {}),
      },
      { overwrite },
    );
  } catch (e) {
    if (e instanceof CheckpointExistsError) throw new UsageError(`${out} already holds a checkpoint; pass --overwrite to replace it`);
    throw e;
  }
  log(`wrote ${out}`);
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
