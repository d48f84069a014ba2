// `./sppo score --model DIR --data FILE.jsonl`: the summed log-probability of each row's response
// under a checkpoint (TRL get_batch_logps, average_log_prob=False), one JSONL row out per row in.
// Rows are `{prompt, response}` (prompt a string or a message list) or `{messages}` whose last
// message is the assistant response. Prompt and response are split by the checkpoint's chat
// template and only response tokens are scored (SPPO-REFERENCE 2.3), in shape buckets through the
// logprob graph (packages/model scoring/).
import { rename, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chatMessageSchema, parseJsonl, ValidationError } from '@sppo/core';
import {
  createSequenceScorer,
  readCheckpoint,
  splitLastAssistant,
  tokenizeScoreRow,
  type Checkpoint,
  type ScoreBatchInfo,
  type ScoreRowText,
  type TokenizedScoreRow,
} from '@sppo/model';
import { z } from 'zod';
import { parseArgs, rejectUnknown, requireOption } from '../args.ts';
import { UsageError } from '../errors.ts';

const USAGE =
  './sppo score --model DIR --data FILE.jsonl [--out FILE] [--batch-size N] [--max_length N] [--truncate [--max_prompt_length N]] [--threads N]';
const OPTIONS = ['model', 'data', 'out', 'batch-size', 'max_length', 'max_prompt_length', 'threads'];
/** TRL's / the official SPPO max_prompt_length (SPPO-REFERENCE 2.3). */
const OFFICIAL_MAX_PROMPT_LENGTH = 512;

const scoreRowSchema = z
  .looseObject({
    prompt: z.union([z.string(), z.array(chatMessageSchema).min(1)], { error: 'must be a string or a non-empty list of {role, content} messages' }).optional(),
    response: z.string().optional(),
    messages: z.array(chatMessageSchema).optional(),
  })
  .superRefine((row, ctx) => {
    if (row.messages !== undefined) {
      if (row.prompt !== undefined || row.response !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['messages'], message: 'give either messages or prompt + response, not both' });
      } else if (row.messages.length < 2 || row.messages[row.messages.length - 1]?.role !== 'assistant') {
        ctx.addIssue({ code: 'custom', path: ['messages'], message: 'messages must end with the assistant response to score, after at least one earlier message' });
      }
    } else {
      if (row.prompt === undefined) ctx.addIssue({ code: 'custom', path: ['prompt'], message: 'missing: a row needs prompt + response, or messages' });
      if (row.response === undefined) ctx.addIssue({ code: 'custom', path: ['response'], message: 'missing: a row needs prompt + response, or messages' });
    }
  });
type ScoreRow = z.infer<typeof scoreRowSchema>;

/** Input fields copied to the output so a row can be matched back: `id` and any `*_id` / `*_index`. */
function idFields(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if ((key === 'id' || key.endsWith('_id') || key.endsWith('_index')) && (typeof value === 'string' || typeof value === 'number')) out[key] = value;
  }
  return out;
}

function rowText(row: ScoreRow): ScoreRowText {
  return row.messages !== undefined ? splitLastAssistant(row.messages) : { prompt: row.prompt as ScoreRowText['prompt'], response: row.response as string };
}

function intOption(value: string | undefined, name: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
    throw new UsageError(`--${name} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return n;
}

async function loadModel(dir: string): Promise<Checkpoint> {
  const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
  const hasConfig = await stat(join(dir, 'config.json')).then(() => true, () => false);
  if (!isDir || !hasConfig) {
    throw new UsageError(
      `--model ${dir} is not a checkpoint folder (${isDir ? 'no config.json in it' : 'no such folder'}). ` +
        'Create one with ./sppo init-model --out DIR, or point at a trained checkpoint.',
    );
  }
  try {
    // A folder without _COMPLETE is read as a plain HF model folder: ours are renamed into place
    // only once complete, so a partial one never sits under its final name.
    return await readCheckpoint(dir, { requireComplete: false });
  } catch (e) {
    throw new UsageError(`--model ${dir}: ${(e as Error).message}`);
  }
}

async function readRows(path: string): Promise<{ rows: ScoreRow[]; lines: number[] }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --data ${path}: ${(e as Error).message}`);
  }
  let rows: ScoreRow[];
  try {
    rows = parseJsonl(text, scoreRowSchema, { subject: `--data ${path}` });
  } catch (e) {
    if (e instanceof ValidationError) throw new UsageError(e.message);
    throw e;
  }
  // parseJsonl skips blank lines; keep each row's 1-based line number for later messages.
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() !== '') lines.push(i + 1);
  });
  if (rows.length === 0) throw new UsageError(`--data ${path} has no rows; expected JSONL rows {prompt, response} or {messages}`);
  return { rows, lines };
}

function progress(info: ScoreBatchInfo): void {
  const line = `score: batch ${info.batch}/${info.batches} (${info.rows} rows, ${info.seqLen} tokens) ${Math.round(info.ms)} ms`;
  // One plain line per batch for logs; a TTY gets one line rewritten in place.
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${info.batch === info.batches ? '\n' : ''}`);
  else process.stderr.write(`${line}\n`);
}

export async function runScore(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { flagNames: ['truncate'] });
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}. Usage: ${USAGE}`);
  const modelDir = requireOption(args, 'model', USAGE);
  const dataPath = requireOption(args, 'data', USAGE);
  rejectUnknown(args, OPTIONS);
  const batchSize = intOption(args.options.get('batch-size'), 'batch-size', 1) ?? 8;
  const threads = intOption(args.options.get('threads'), 'threads', 1);
  const truncate = args.flags.has('truncate');
  const promptLengthOption = intOption(args.options.get('max_prompt_length'), 'max_prompt_length', 1);
  if (promptLengthOption !== undefined && !truncate) throw new UsageError('--max_prompt_length only applies with --truncate');

  const checkpoint = await loadModel(modelDir);
  const { config, tokenizer } = checkpoint;
  const maxLength = intOption(args.options.get('max_length'), 'max_length', 2) ?? config.max_position_embeddings;
  const maxPromptLength = promptLengthOption ?? Math.min(OFFICIAL_MAX_PROMPT_LENGTH, Math.floor(maxLength / 2));
  if (truncate && maxPromptLength >= maxLength) {
    throw new UsageError(`--max_prompt_length (${maxPromptLength}) must be smaller than --max_length (${maxLength})`);
  }
  const { rows, lines } = await readRows(dataPath);

  const tokenized: TokenizedScoreRow[] = [];
  const problems: string[] = [];
  rows.forEach((row, i) => {
    try {
      const t = tokenizeScoreRow(rowText(row), { tokenizer, maxLength, truncate, maxPromptLength });
      if (t.overlong) {
        problems.push(`line ${lines[i]}: ${t.fullPromptTokens + t.fullResponseTokens} tokens (prompt ${t.fullPromptTokens} + response ${t.fullResponseTokens}) > --max_length ${maxLength}`);
      }
      tokenized.push(t);
    } catch (e) {
      problems.push(`line ${lines[i]}: ${(e as Error).message}`);
    }
  });
  if (problems.length > 0) {
    const overlong = tokenized.some((t) => t.overlong);
    throw new UsageError(
      `--data ${dataPath}: ${problems.length} row(s) cannot be scored:\n  - ${problems.join('\n  - ')}` +
        (overlong ? '\nRaise --max_length, or pass --truncate to cut rows as training does (TRL keep_end).' : ''),
    );
  }

  const scorer = await createSequenceScorer({
    config,
    weights: checkpoint.weights,
    padId: tokenizer.padId,
    batchSize: Math.min(batchSize, tokenized.length),
    session: threads === undefined ? {} : { intraOpNumThreads: threads },
    onBatch: progress,
  });
  let scores;
  try {
    scores = await scorer.score(tokenized);
  } finally {
    await scorer.close();
  }

  const out = rows.map((row, i) => {
    const t = tokenized[i] as TokenizedScoreRow;
    return {
      ...idFields(row),
      logprob: scores.logps[i],
      num_tokens: scores.counts[i],
      prompt_ids: t.promptIds,
      response_ids: t.responseIds,
      ...(t.truncated ? { truncated: true } : {}),
    };
  });
  const jsonl = out.map((r) => `${JSON.stringify(r)}\n`).join('');
  const outPath = args.options.get('out');
  if (outPath === undefined) process.stdout.write(jsonl);
  else {
    // Whole file at once, renamed into place: a reader never sees half a file.
    const tmp = `${outPath}.tmp-${process.pid}`;
    await writeFile(tmp, jsonl);
    await rename(tmp, outPath);
    process.stderr.write(`score: wrote ${out.length} rows to ${outPath}\n`);
  }
  return 0;
}
