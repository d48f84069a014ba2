// `./sppo generate --model DIR --prompts FILE`: K sampled responses per prompt from a checkpoint
// (or an exported HF model folder with a decoder-with-past ONNX graph), one JSONL row out per
// prompt in the generation-shard layout (ARCHITECTURE 3.3: prompt_id, prompt, prompt_text,
// responses, seeds, response_tokens, finish_reasons). Sample k uses seed --seed + 50*k (the
// official scheme, SPPO-REFERENCE 2.2 step 4); sampling defaults are the run config's (official
// temperature 0.7, top_p 0.9, K 5). Prompts go through the model's chat template with the
// generation prompt, unless --raw.
// The prompts file is JSONL ({prompt} with a string or a message list, or {messages}; optional
// prompt_id or id) or plain text with one prompt per line.
import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { chatMessageSchema, parseJsonl, parseRunConfig, toJsonl, toValidationIssues, ValidationError, type ValidationIssue } from '@sppo/core';
import { engineBackend, generateRows, type PromptInput } from '@sppo/generator';
import { createParallelSamplingEngine, isSamplingError, MAX_SEED, type SamplingEngine } from '@sppo/model';
import { z } from 'zod';
import { parseArgs, rejectUnknown, requireOption, type ParsedArgs } from '../args.ts';
import { readDataFile } from '../data-file.ts';
import { UsageError } from '../errors.ts';

const USAGE =
  './sppo generate --model DIR --prompts FILE [--n K] [--temperature T] [--top-p P] [--top-k K] [--max-new-tokens N] [--seed S] ' +
  '[--stop STR | --stop=\'["a","b"]\'] [--out FILE] [--raw] [--batch-size N] [--replicas N] [--threads N] [--execution-provider cpu|cuda|webgpu]';
const OPTIONS = ['model', 'prompts', 'n', 'temperature', 'top-p', 'top-k', 'max-new-tokens', 'seed', 'stop', 'out', 'batch-size', 'replicas', 'threads', 'execution-provider'];
/** The official per-sample seed stride: sample k uses seed + 50*k (scripts/generate.py). */
const SEED_STRIDE = 50;

const promptRowSchema = z
  .looseObject({
    prompt_id: z.union([z.string().min(1), z.number()]).optional(),
    id: z.union([z.string().min(1), z.number()]).optional(),
    prompt: z.union([z.string().min(1), z.array(chatMessageSchema).min(1)], { error: 'must be a non-empty string or a list of {role, content} messages' }).optional(),
    messages: z.array(chatMessageSchema).min(1).optional(),
  })
  .superRefine((row, ctx) => {
    if ((row.prompt === undefined) === (row.messages === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'give exactly one of prompt (a string or messages) or messages' });
    }
  });

/**
 * Reads the prompts: JSONL rows, Parquet rows (e.g. the official UCLA-AGI/data-*-sppo-iter*
 * train.parquet: its `prompt` column, other columns ignored; rows named 0-based), or plain text
 * with one prompt per non-blank line.
 */
export async function readPrompts(path: string): Promise<(PromptInput & { messages?: unknown })[]> {
  const file = await readDataFile(path, 'prompts');
  if (file.kind === 'parquet') {
    if (file.rows.length === 0) throw new UsageError(`--prompts ${path} has no prompts`);
    const issues: ValidationIssue[] = [];
    const rows: z.infer<typeof promptRowSchema>[] = [];
    file.rows.forEach((value, i) => {
      const r = promptRowSchema.safeParse(value);
      if (r.success) rows.push(r.data);
      else for (const issue of toValidationIssues(r.error.issues, promptRowSchema)) issues.push({ ...issue, path: issue.path === '' ? `row ${i}` : `row ${i}: ${issue.path}` });
    });
    if (issues.length > 0) throw new UsageError(new ValidationError(`--prompts ${path}`, issues).message);
    return rows.map(promptInputOf);
  }
  const text = file.text;
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new UsageError(`--prompts ${path} has no prompts`);
  const ext = extname(path).toLowerCase();
  const jsonl = ext === '.jsonl' || ext === '.ndjson' || (ext !== '.txt' && lines.every((l) => l.trimStart().startsWith('{')));
  if (!jsonl) return lines.map((prompt, i) => ({ prompt_id: `p${i}`, prompt }));
  let rows: z.infer<typeof promptRowSchema>[];
  try {
    rows = parseJsonl(text, promptRowSchema, { subject: `--prompts ${path}` });
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(e.message);
    throw e;
  }
  return rows.map(promptInputOf);
}

function promptInputOf(row: z.infer<typeof promptRowSchema>, i: number): PromptInput & { messages?: unknown } {
  const id = row.prompt_id ?? row.id;
  const prompt = (row.prompt ?? row.messages) as PromptInput['prompt'];
  return { prompt_id: id === undefined ? `p${i}` : String(id), prompt, ...(typeof prompt === 'string' ? {} : { messages: prompt }) };
}

function numberOption(args: ParsedArgs, name: string, fallback: number, { integer = false, min = -Infinity, max = Infinity } = {}): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) {
    const range = `${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}${max < Infinity ? ` and <= ${max}` : ''}`;
    throw new UsageError(`--${name} must be ${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function stopOption(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  if (raw.startsWith('[')) {
    const parsed = z.array(z.string().min(1)).safeParse((() => {
      try {
        return JSON.parse(raw) as unknown;
      } catch {
        return undefined;
      }
    })());
    if (!parsed.success) throw new UsageError(`--stop ${raw}: give one string, or a JSON list of non-empty strings like '["\\n\\n","###"]'`);
    return parsed.data;
  }
  return [raw];
}

function progressLine(done: number, total: number, started: number): void {
  const line = `generate: ${done}/${total} responses, ${((performance.now() - started) / 1000).toFixed(1)} s`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
  else if (done === total || done % Math.max(1, Math.ceil(total / 20)) === 0) process.stderr.write(`${line}\n`);
}

export async function runGenerate(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flagNames: ['raw'] });
  const modelDir = requireOption(args, 'model', USAGE);
  const promptsPath = requireOption(args, 'prompts', USAGE);
  rejectUnknown(args, OPTIONS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}. Usage: ${USAGE}`);
  // The run config's generation defaults (official SPPO values).
  const defaults = parseRunConfig({});
  const n = numberOption(args, 'n', defaults.samples_per_prompt, { integer: true, min: 1, max: 1024 });
  const seed = numberOption(args, 'seed', 0, { integer: true, min: 0, max: MAX_SEED - SEED_STRIDE * (n - 1) });
  const params = {
    temperature: numberOption(args, 'temperature', defaults.temperature, { min: 0 }),
    topP: numberOption(args, 'top-p', defaults.top_p, { min: Number.MIN_VALUE, max: 1 }),
    topK: numberOption(args, 'top-k', defaults.top_k, { integer: true, min: 0 }),
    maxNewTokens: numberOption(args, 'max-new-tokens', defaults.max_new_tokens, { integer: true, min: 1 }),
    stop: stopOption(args.options.get('stop')),
  };
  const batchSize = numberOption(args, 'batch-size', 256, { integer: true, min: 1 });
  const threads = args.options.get('threads') === undefined ? undefined : numberOption(args, 'threads', 1, { integer: true, min: 1 });
  // Engine replicas (worker threads), as the generator service runs them: one per core on the CPU.
  // Rows are independent, so the replica count never changes the text.
  const replicas = args.options.get('replicas') === undefined ? undefined : numberOption(args, 'replicas', 1, { integer: true, min: 1, max: 64 });
  const out = args.options.get('out');
  const prompts = await readPrompts(promptsPath);

  let engine: SamplingEngine;
  try {
    engine = await createParallelSamplingEngine({
      modelDir,
      maxBatchSize: batchSize,
      executionProvider: args.options.get('execution-provider') ?? defaults.execution_provider,
      ...(replicas === undefined ? {} : { replicas }),
      ...(threads === undefined ? {} : { intraOpNumThreads: threads }),
    });
  } catch (e) {
    if (isSamplingError(e) && e.userError) throw new UsageError(`--model ${modelDir}: ${e.message}`);
    throw e;
  }
  try {
    const seeds = Array.from({ length: n }, (_, k) => seed + SEED_STRIDE * k);
    const started = performance.now();
    const { info } = engine;
    let rows;
    try {
      if (args.flags.has('raw')) {
        // Raw completions: the text is the prompt, encoded with the tokenizer's BOS.
        const texts = prompts.map((p) => (typeof p.prompt === 'string' ? p.prompt : ''));
        if (texts.some((t) => t === '')) throw new UsageError('--raw needs plain-text prompts, not message lists');
        const results = await engine.generate(
          texts.flatMap((prompt) => seeds.map((s) => ({ prompt, seed: s, addSpecialTokens: true }))),
          params,
          { onProgress: (p) => progressLine(p.done, p.total, started) },
        );
        rows = prompts.map((p, i) => {
          const mine = results.slice(i * n, (i + 1) * n);
          return { prompt_id: p.prompt_id, prompt: texts[i], prompt_text: texts[i], responses: mine.map((r) => r.text), seeds, response_tokens: mine.map((r) => r.completionTokens), finish_reasons: mine.map((r) => r.finishReason) };
        });
      } else {
        const generated = await generateRows({
          backend: engineBackend(engine),
          prompts,
          template: { chatTemplate: info.chatTemplate, bosToken: info.bosToken, eosToken: info.eosToken, padToken: info.padToken },
          seeds,
          params,
          onProgress: (done, total) => progressLine(done, total, started),
        });
        rows = generated.map((row, i) => ({ ...row, ...(prompts[i]?.messages === undefined ? {} : { messages: prompts[i]?.messages }) }));
      }
    } catch (e) {
      if (isSamplingError(e) && e.userError) throw new UsageError(e.message);
      throw e;
    }
    const text = toJsonl(rows);
    if (out === undefined) process.stdout.write(text);
    else {
      // Written whole, then renamed into place: an interrupted run leaves no half file.
      const tmp = join(dirname(out), `.${basename(out)}.${randomUUID().slice(0, 8)}.tmp`);
      try {
        await writeFile(tmp, text);
        await rename(tmp, out);
      } catch (e) {
        await rm(tmp, { force: true });
        throw new UsageError(`cannot write --out ${out}: ${(e as Error).message}`);
      }
      const tokens = rows.reduce((s, r) => s + r.response_tokens.reduce((a, b) => a + b, 0), 0);
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(`generate: wrote ${rows.length} prompts x ${n} responses (${tokens} tokens, ${Math.round(tokens / Math.max(seconds, 1e-9))} tok/s) to ${out}\n`);
    }
    return 0;
  } finally {
    await engine.close();
  }
}
