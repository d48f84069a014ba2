// `./sppo judge --model DIR|rule:NAME --data generations.jsonl --out triplets.jsonl [--key=value ...]`:
// scores a generations file (rows like the generator's shard rows: prompt_id, prompt, prompt_text,
// responses[K], ...) with a pairwise judge, every ordered pair of every prompt in one batched call,
// and writes the triplets file with core's buildTriplets (SPPO-REFERENCE 2.2 steps 6-8).
// Options: --score_aggregation=official|direct, --win_rate_estimator=include_self|exclude_self,
// --selection=extremes|all (run-config names and defaults), --judge_max_source_tokens,
// --judge_max_candidate_tokens (default: the judge folder's config, else PairRM's 1224 / 412),
// --batch_size (rows per forward, default 32), --execution_provider (cpu by default). Bad lines are reported with their numbers and
// skipped, and a file with no usable line fails naming the first ones; prompts with fewer than 2 responses are an error.
// Prints the judge/* metrics as JSON.
// --data also takes the official generated layout (prompt_id, prompt, generate_0..K-1 message lists,
// probability, rm_scores: the UCLA-AGI/data-*-sppo-iter* datasets) and plain {prompt, responses}
// rows (core's parseJudgeInputRow), as JSONL or Parquet (rows named 0-based). A row without prompt_text is given to the judge as the prompt
// rendered by --tokenizer DIR's chat template with the generation prompt (the policy's folder, as
// the official rank.py passes the templated prompt), or as the raw prompt without --tokenizer.
import { rename, writeFile } from 'node:fs/promises';
import { allRowsBadMessage, SCORE_AGGREGATIONS, SELECTIONS, toJsonl, WIN_RATE_ESTIMATORS } from '@sppo/core';
import { createRuleJudge, loadPairwiseJudge, loadTokenizer, renderGenerationPrompt, type LoadedTokenizer, type PairwiseJudge } from '@sppo/model';
import { addRow, JUDGE_INPUT_LAYOUTS, judgeGenerations, parseGenerationShard, type ParsedGenerations } from '@sppo/judge';
import { parseArgs, rejectUnknown, requireOption } from '../args.ts';
import { readDataFile } from '../data-file.ts';
import { UsageError } from '../errors.ts';

const USAGE = './sppo judge --model DIR|rule:length|rule:rps --data generations.jsonl --out triplets.jsonl [--tokenizer POLICY_DIR] [--score_aggregation=official|direct] [--win_rate_estimator=include_self|exclude_self] [--selection=extremes|all] [--judge_max_source_tokens=N] [--judge_max_candidate_tokens=N] [--batch_size=N] [--execution_provider=cpu|cuda|webgpu]';
const OPTIONS = ['model', 'data', 'out', 'tokenizer', 'score_aggregation', 'win_rate_estimator', 'selection', 'judge_max_source_tokens', 'judge_max_candidate_tokens', 'batch_size', 'execution_provider'];

function choice<T extends string>(name: string, value: string | undefined, valid: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(valid as readonly string[]).includes(value)) throw new UsageError(`--${name}=${value} is not valid; use one of ${valid.join(', ')}`);
  return value as T;
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name}=${value}: use a positive integer`);
  return n;
}

/** The policy's prompt text for a raw prompt: its chat template with the generation prompt (the generator's renderGenerationPrompt). */
async function promptRenderer(dir: string | undefined): Promise<((prompt: string) => string) | undefined> {
  if (dir === undefined) return undefined;
  let tokenizer: LoadedTokenizer;
  try {
    tokenizer = await loadTokenizer(dir);
  } catch (e) {
    throw new UsageError(`--tokenizer ${dir}: ${(e as Error).message}`);
  }
  const { chatTemplate, bosToken, eosToken, padToken } = tokenizer;
  if (chatTemplate === undefined) throw new UsageError(`--tokenizer ${dir} has no chat template (tokenizer_config.json chat_template or chat_template.jinja)`);
  return (prompt) => renderGenerationPrompt(prompt, { chatTemplate, bosToken, eosToken, padToken });
}

export async function runJudge(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  const model = requireOption(args, 'model', USAGE);
  const data = requireOption(args, 'data', USAGE);
  const out = requireOption(args, 'out', USAGE);
  rejectUnknown(args, OPTIONS);
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${args.positionals[0]}. Usage: ${USAGE}`);
  const o = args.options;
  const options = {
    aggregation: choice('score_aggregation', o.get('score_aggregation'), SCORE_AGGREGATIONS, 'official'),
    estimator: choice('win_rate_estimator', o.get('win_rate_estimator'), WIN_RATE_ESTIMATORS, 'include_self'),
    selection: choice('selection', o.get('selection'), SELECTIONS, 'extremes'),
  };
  const maxSourceTokens = positiveInt('judge_max_source_tokens', o.get('judge_max_source_tokens'));
  const maxCandidateTokens = positiveInt('judge_max_candidate_tokens', o.get('judge_max_candidate_tokens'));
  const batchSize = positiveInt('batch_size', o.get('batch_size'));

  const file = await readDataFile(data, 'data');
  let parsed: ParsedGenerations;
  if (file.kind === 'jsonl') parsed = parseGenerationShard(file.text);
  else {
    parsed = { rows: [], lines: [], badLines: [], tooFewResponses: [] };
    // `line` holds index + 1 so that 0 never means "no line"; `where` prints the 0-based row.
    file.rows.forEach((row, i) => addRow(parsed, row, i + 1, i));
  }
  const where = (line: number): string => (file.kind === 'jsonl' ? `line ${line}` : `row ${line - 1}`);
  if (parsed.rows.length === 0 && parsed.badLines.length > 0) {
    throw new UsageError(allRowsBadMessage(`--data ${data}`, parsed.badLines.map((b) => ({ where: where(b.line), message: b.message })), JUDGE_INPUT_LAYOUTS));
  }
  if (parsed.rows.length === 0 && parsed.tooFewResponses.length === 0) throw new UsageError(`--data ${data} has no rows`);
  for (const bad of parsed.badLines) console.error(`judge: ${data} ${where(bad.line)} skipped: ${bad.message}`);
  if (parsed.tooFewResponses.length > 0) {
    throw new UsageError(`${data}: prompts need K >= 2 responses to be judged; ${parsed.tooFewResponses.map((b) => `${where(b.line)} has ${b.message}`).join('; ')}`);
  }
  const renderPrompt = await promptRenderer(o.get('tokenizer'));
  if (renderPrompt === undefined && parsed.rows.some((r) => r.prompt_text === undefined)) {
    console.error('judge: rows without prompt_text are judged on the raw prompt; pass --tokenizer POLICY_DIR to give the judge the templated prompt as the official pipeline does');
  }
  let judge: PairwiseJudge;
  try {
    judge = model.startsWith('rule:')
      ? createRuleJudge(model)
      : await loadPairwiseJudge(model, {
          ...(maxSourceTokens ? { maxSourceTokens } : {}),
          ...(maxCandidateTokens ? { maxCandidateTokens } : {}),
          ...(batchSize ? { batchSize } : {}),
          executionProvider: o.get('execution_provider') ?? 'cpu',
          thread: 'main',
        });
  } catch (e) {
    throw new UsageError(`--model ${model}: ${(e as Error).message}`);
  }
  try {
    const comparisons = parsed.rows.reduce((n, r) => n + r.responses.length * (r.responses.length - 1), 0);
    console.error(`judge: ${parsed.rows.length} prompts, ${comparisons} comparisons with ${judge.name}`);
    const started = performance.now();
    const result = await judgeGenerations(judge, parsed, { ...options, ...(renderPrompt ? { renderPrompt } : {}) });
    const seconds = (performance.now() - started) / 1000;
    const tmp = `${out}.tmp-${process.pid}`;
    await writeFile(tmp, toJsonl(result.triplets));
    await rename(tmp, out);
    console.error(`judge: wrote ${result.triplets.length} rows to ${out} (${(comparisons / Math.max(seconds, 1e-9)).toFixed(1)} comparisons/s)`);
    console.log(JSON.stringify(result.metrics));
    return 0;
  } finally {
    await judge.close?.();
  }
}
