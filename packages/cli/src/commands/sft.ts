// `./sppo sft --model DIR --data FILE.jsonl --out DIR [--preset NAME] [--config FILE] [--key=value ...]`:
// supervised fine-tuning (TRL SFTTrainer's loss: mean NLL of the response tokens) with the shared
// training loop of packages/model (training/). Rows: {prompt, response}, {prompt, completion} or
// {messages}, in JSONL or Parquet. Training arguments resolve as: schema defaults < --preset < --config < --key=value
// (TRL names: --learning_rate=1e-3 --num_train_epochs=2 --per_device_train_batch_size=8 ...).
// One progress line per step on stderr; the checkpoint (with training_args.json and metrics.json)
// goes to --out, `_COMPLETE` last.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { applyOverrides, ConfigError, trainingArgsShape, ValidationError, type RunConfig, type TrainingArgs } from '@sppo/core';
import {
  deserializeTrainState,
  parseJsonLines,
  prepareSftData,
  readCheckpoint,
  serializeTrainState,
  TRAIN_STATE_FILE,
  trainingPreset,
  trainPolicy,
  writeTrainedCheckpoint,
  type Checkpoint,
  type PreparedData,
  type TrainPolicyResult,
  type TrainState,
} from '@sppo/model';
import { parse as parseYaml } from 'yaml';
import { parseArgs, type ParsedArgs } from '../args.ts';
import { readDataFile } from '../data-file.ts';
import { UsageError } from '../errors.ts';
import { takeTorchDtype, withTorchDtype } from './torch-dtype.ts';

const USAGE = './sppo sft --model DIR --data FILE.jsonl --out DIR [--preset official|official-18|tiny] [--config FILE] [--state-dir DIR] [--threads N] [--torch_dtype float32|bfloat16|float16] [--overwrite] [--key=value ...]';
/** Options of the command itself; every other --key=value is a training override. */
export const TRAINING_COMMAND_OPTIONS = ['model', 'out', 'config', 'preset', 'state-dir', 'threads'];

/** Takes an option out of the parsed set (so the rest are overrides). */
export function takeOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  args.options.delete(name);
  return v;
}

export function takeRequired(args: ParsedArgs, name: string, usage: string): string {
  const v = takeOption(args, name);
  if (v === undefined) throw new UsageError(`missing --${name}. Usage: ${usage}`);
  return v;
}

async function readConfigFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --config ${path}: ${(e as Error).message}`);
  }
  let value: unknown;
  try {
    value = path.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new UsageError(`--config ${path} does not parse: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError(`--config ${path} must hold one object of run-config / training keys`);
  return value as Record<string, unknown>;
}

export interface ResolvedTrainingOptions {
  args: TrainingArgs;
  chatTemplate: string | undefined;
  preset: string | undefined;
}

/**
 * Training args from a preset, a recipe file and the remaining `--key=value` options, validated
 * by core's run-config schema (unknown keys rejected with the valid ones and a "did you mean").
 */
export async function resolveCliTrainingArgs(parsed: ParsedArgs): Promise<ResolvedTrainingOptions> {
  const preset = takeOption(parsed, 'preset');
  const configPath = takeOption(parsed, 'config');
  let base: Record<string, unknown> = {};
  try {
    if (preset !== undefined) base = { ...trainingPreset(preset) };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (configPath !== undefined) base = { ...base, ...(await readConfigFile(configPath)) };
  const overrides = Object.fromEntries(parsed.options);
  let config: RunConfig;
  try {
    config = applyOverrides(base, overrides);
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(e.message);
    throw e;
  }
  const args = Object.fromEntries(Object.keys(trainingArgsShape).flatMap((k) => (k in config ? [[k, config[k as keyof RunConfig]]] : []))) as TrainingArgs;
  return { args, chatTemplate: config.chat_template, preset };
}

export async function loadBaseCheckpoint(dir: string): Promise<Checkpoint> {
  const hasConfig = await stat(join(dir, 'config.json')).then(() => true, () => false);
  if (!hasConfig) {
    throw new UsageError(`--model ${dir} is not a checkpoint folder (no config.json). Create one with ./sppo init-model --out DIR, or point at a trained checkpoint.`);
  }
  try {
    return await readCheckpoint(dir, { requireComplete: false });
  } catch (e) {
    throw new UsageError(`--model ${dir}: ${(e as Error).message}`);
  }
}

export function intOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** Rethrows a data ValidationError (every bad row listed) as a usage error. */
export function asUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(e.message);
    throw e;
  }
}

function progress(line: string, last: boolean): void {
  if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K${last ? '\n' : ''}`);
  else process.stderr.write(`${line}\n`);
}

/** A local folder for resumable state: state.json written last, read back on the next start. */
async function localStateStore(dir: string | undefined): Promise<{ resume: TrainState | undefined; onSave?: (s: TrainState) => Promise<void> }> {
  if (dir === undefined) return { resume: undefined };
  await mkdir(dir, { recursive: true });
  const stateJson = await readFile(join(dir, TRAIN_STATE_FILE)).catch(() => undefined);
  const resume = stateJson === undefined ? undefined : await deserializeTrainState(stateJson, async (name) => new Uint8Array(await readFile(join(dir, name))));
  return {
    resume,
    onSave: async (state) => {
      for (const [name, bytes] of serializeTrainState(state)) {
        await writeFile(join(dir, `${name}.tmp`), bytes);
        await rename(join(dir, `${name}.tmp`), join(dir, name));
      }
    },
  };
}

export interface RunTrainingCommandOptions {
  name: 'sft' | 'train';
  checkpoint: Checkpoint;
  prepared: PreparedData;
  resolved: ResolvedTrainingOptions;
  out: string;
  stateDir: string | undefined;
  threads: number | undefined;
  overwrite: boolean;
  /** Extra fields of training_args.json (where the data came from). */
  provenance: Record<string, unknown>;
}

/** The part `sft` and `train` share: train, print progress, write the checkpoint. */
export async function runTrainingCommand(o: RunTrainingCommandOptions): Promise<TrainPolicyResult> {
  const { checkpoint, prepared, resolved } = o;
  const { stats } = prepared;
  process.stderr.write(
    `${o.name}: ${stats.examples} ${prepared.data.kind === 'sft' ? 'rows' : prepared.data.kind === 'pair' ? 'pairs' : 'responses'}` +
      ` (${stats.truncatedPrompts} prompts and ${stats.truncatedResponses} responses truncated), loss ${o.name === 'sft' ? 'nll' : resolved.args.loss_type},` +
      ` ${resolved.args.optim} lr ${resolved.args.learning_rate}, ${resolved.args.num_train_epochs} epoch(s)` +
      `${resolved.args.use_peft ? `, LoRA r ${resolved.args.lora_r} alpha ${resolved.args.lora_alpha} on ${resolved.args.lora_target_modules.join(',')}${checkpoint.config.torch_dtype === 'bfloat16' ? ' (bf16 base)' : ''}` : ''}\n`,
  );
  const store = await localStateStore(o.stateDir);
  if (store.resume) process.stderr.write(`${o.name}: resuming from step ${store.resume.step} (${o.stateDir})\n`);
  const result = await trainPolicy({
    config: checkpoint.config,
    weights: checkpoint.weights,
    data: prepared.data,
    args: resolved.args,
    padId: checkpoint.tokenizer.padId,
    ...(store.resume ? { resume: store.resume } : {}),
    ...(store.onSave ? { onSave: store.onSave } : {}),
    ...(o.threads === undefined ? {} : { session: { intraOpNumThreads: o.threads } }),
    // A bf16 checkpoint's base stays bf16 in memory under LoRA (its weights are exact bf16 values).
    ...(resolved.args.use_peft && checkpoint.config.torch_dtype === 'bfloat16' ? { loraBaseDtype: 'bfloat16' as const } : {}),
    onStep: (entry, line, { totalSteps }) => progress(line, entry.step === totalSteps),
  });
  const trainingArgs = { ...resolved.args, ...(resolved.chatTemplate ? { chat_template: resolved.chatTemplate } : {}), ...(resolved.preset ? { preset: resolved.preset } : {}), ...o.provenance };
  try {
    // use_peft: the PEFT adapter goes into <out>/adapter/ beside the merged weights.
    const adapter = result.adapter ? { adapter: { ...result.adapter, baseModelNameOrPath: String(o.provenance.model_name_or_path) } } : {};
    await writeTrainedCheckpoint(o.out, { base: checkpoint, weights: result.weights, trainingArgs, logHistory: result.logHistory, summary: result.summary, overwrite: o.overwrite, ...adapter });
  } catch (e) {
    if ((e as Error).name === 'CheckpointExistsError') throw new UsageError(`${(e as Error).message} (or pass --overwrite)`);
    throw e;
  }
  const s = result.summary;
  process.stderr.write(`${o.name}: ${s['train/steps']} steps in ${s['train/runtime_s']} s, mean loss ${Number(s['train/loss']).toPrecision(4)}; wrote ${o.out}\n`);
  process.stdout.write(`${o.out}\n`);
  return result;
}

export async function runSft(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv, { flagNames: ['overwrite'] });
  if (parsed.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}. Usage: ${USAGE}`);
  const model = takeRequired(parsed, 'model', USAGE);
  const dataPath = takeRequired(parsed, 'data', USAGE);
  const out = takeRequired(parsed, 'out', USAGE);
  const stateDir = takeOption(parsed, 'state-dir');
  const threads = intOption(takeOption(parsed, 'threads'), 'threads', 1);
  const torchDtype = takeTorchDtype(parsed);
  const resolved = await resolveCliTrainingArgs(parsed);
  const checkpoint = withTorchDtype(await loadBaseCheckpoint(model), torchDtype);
  const file = await readDataFile(dataPath, 'data');
  const prepared = asUsage(() => {
    const rows = file.kind === 'jsonl' ? parseJsonLines(file.text, `--data ${dataPath}`) : file.rows;
    const where = file.kind === 'parquet' ? (i: number) => `row ${i}` : undefined;
    return prepareSftData(rows, { tokenizer: checkpoint.tokenizer, args: resolved.args, ...(resolved.chatTemplate ? { chatTemplate: resolved.chatTemplate } : {}) }, where);
  });
  await runTrainingCommand({ name: 'sft', checkpoint, prepared, resolved, out, stateDir, threads, overwrite: parsed.flags.has('overwrite'), provenance: { task: 'sft', model_name_or_path: model, data: dataPath, ...(torchDtype ? { torch_dtype: torchDtype } : {}) } });
  return 0;
}
