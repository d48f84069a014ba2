/**
 * The judge stage on one generation shard, without I/O (shared by the service and `./sppo judge`):
 * parse the rows (every bad line kept with its number), compare every ordered pair of every prompt
 * in ONE judge call (K(K-1) per prompt, batched across prompts), then core's buildTriplets per
 * prompt with the run config's aggregation, estimator and selection (SPPO-REFERENCE 2.2 steps 6-8).
 */
import {
  buildTriplets,
  judgeMetricsFromTriplets,
  parseJudgeInputRow,
  selectPair,
  type JudgeInputRow,
  type PairTripletRow,
  type ResponseTripletRow,
  type ScoreAggregation,
  type Selection,
  type WinRateEstimator,
} from '@sppo/core';
import { compareAllPairs, type PairwiseJudge } from '@sppo/model';
import { PermanentJudgeError } from './errors.ts';

/** What a usable row looks like, for the error of an input without one. */
export const JUDGE_INPUT_LAYOUTS =
  'each row needs a prompt (string) and K >= 2 responses: {prompt_id?, prompt, responses: [...]} (prompt_text, seeds, response_tokens, finish_reasons optional) ' +
  'or the official generated layout {prompt_id, prompt, generate_0 .. generate_{K-1}} with message lists';

export interface BadLine {
  line: number;
  message: string;
}

export interface ParsedGenerations {
  rows: JudgeInputRow[];
  /** 1-based line numbers of the good rows, in order. */
  lines: number[];
  badLines: BadLine[];
  /** Lines whose prompt has fewer than 2 responses (a win rate needs K >= 2). */
  tooFewResponses: BadLine[];
}

/**
 * Parses generation rows from JSONL (core's parseJudgeInputRow: ours, the official generated
 * layout with generate_0..K-1, or plain {prompt, responses}); a bad line never hides the others.
 */
export function parseGenerationShard(text: string): ParsedGenerations {
  const out: ParsedGenerations = { rows: [], lines: [], badLines: [], tooFewResponses: [] };
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      out.badLines.push({ line, message: `not JSON: ${(e as Error).message}` });
      return;
    }
    addRow(out, value, line, out.rows.length + out.badLines.length + out.tooFewResponses.length);
  });
  return out;
}

/** Adds one decoded row (a JSONL line or a Parquet row) to `out`; `index` is its 0-based position. */
export function addRow(out: ParsedGenerations, value: unknown, line: number, index: number): void {
  // K < 2 is reported as such even when the row has other faults (it is a config problem: samples_per_prompt).
  const responses = (value as { responses?: unknown } | null)?.responses;
  if (Array.isArray(responses) && responses.length < 2) {
    out.tooFewResponses.push({ line, message: `${responses.length} response(s); the judge needs K >= 2 per prompt` });
    return;
  }
  const parsed = parseJudgeInputRow(value, index);
  if (!parsed.ok) {
    out.badLines.push({ line, message: parsed.message });
    return;
  }
  if (parsed.row.responses.length < 2) {
    out.tooFewResponses.push({ line, message: `${parsed.row.responses.length} response(s); the judge needs K >= 2 per prompt` });
    return;
  }
  out.rows.push(parsed.row);
  out.lines.push(line);
}

export interface JudgeShardOptions {
  aggregation: ScoreAggregation;
  estimator: WinRateEstimator;
  selection: Selection;
  /** The source text of a row without prompt_text (the policy's chat template); default: the prompt as is. */
  renderPrompt?: (prompt: string) => string;
}

export interface JudgedShard {
  triplets: (PairTripletRow | ResponseTripletRow)[];
  /** judge/* numbers: core's judgeMetricsFromTriplets (on the extremes pairs) + counts. */
  metrics: Record<string, number>;
  badLines: BadLine[];
}

/**
 * Response lengths in tokens (the generator's response_tokens), means over prompts like the other
 * judge/* values, so the gateway combines shards the same way: all K responses, and the chosen and
 * rejected ones of the extremes pair (core's selectPair on rm_scores, as buildTriplets chose them).
 * Length is the first thing to watch in preference optimisation: a judge that likes long answers
 * makes every round longer (SPPO paper, Table 1's "Avg. Len").
 */
export function responseLengthMetrics(rows: readonly JudgeInputRow[], pairs: readonly PairTripletRow[]): Record<string, number> {
  const n = Math.min(rows.length, pairs.length);
  // Only the generator's rows carry token counts; files from elsewhere have none to report.
  if (n === 0 || rows.some((r) => r.response_tokens === undefined)) return {};
  let all = 0;
  let chosen = 0;
  let rejected = 0;
  for (let i = 0; i < n; i++) {
    const tokens = (rows[i] as JudgeInputRow).response_tokens ?? [];
    const { winner, loser } = selectPair((pairs[i] as PairTripletRow).rm_scores);
    all += tokens.reduce((a, b) => a + b, 0) / Math.max(tokens.length, 1);
    chosen += tokens[winner] ?? 0;
    rejected += tokens[loser] ?? 0;
  }
  return { 'judge/response_tokens': all / n, 'judge/chosen_tokens': chosen / n, 'judge/rejected_tokens': rejected / n };
}

/** Judges parsed rows. K < 2 anywhere is an error for the whole unit (it is a config problem, not a bad line). */
export async function judgeGenerations(judge: PairwiseJudge, parsed: ParsedGenerations, { aggregation, estimator, selection, renderPrompt = (p) => p }: JudgeShardOptions): Promise<JudgedShard> {
  if (parsed.tooFewResponses.length > 0) {
    const where = parsed.tooFewResponses.map((b) => `line ${b.line} (${b.message})`).join(', ');
    throw new PermanentJudgeError(
      `the generation shard has prompts with fewer than 2 responses: ${where}. SPPO's win rates need K >= 2 samples per prompt (samples_per_prompt >= 2; the official K is 5).`,
    );
  }
  // Prompt text as the policy saw it is `prompt_text`; PairRM is given the templated prompt in the
  // official pipeline (SPPO-REFERENCE 2.2 step 6), so the source is prompt_text, else the prompt
  // rendered here (a file from elsewhere: the official generated set, plain {prompt, responses}).
  const C = await compareAllPairs(
    judge,
    parsed.rows.map((r) => ({ prompt: r.prompt_text ?? renderPrompt(r.prompt), responses: r.responses })),
  );
  const triplets: (PairTripletRow | ResponseTripletRow)[] = [];
  const extremes: PairTripletRow[] = [];
  parsed.rows.forEach((row, i) => {
    const c = C[i] as number[][];
    const base = { promptId: row.prompt_id, prompt: row.prompt, responses: row.responses, C: c, aggregation, estimator };
    const pairs = buildTriplets({ ...base, selection: 'extremes' });
    extremes.push(...pairs);
    triplets.push(...(selection === 'extremes' ? pairs : buildTriplets({ ...base, selection })));
  });
  const comparisons = parsed.rows.reduce((n, r) => n + r.responses.length * (r.responses.length - 1), 0);
  const metrics = {
    ...judgeMetricsFromTriplets(extremes),
    ...responseLengthMetrics(parsed.rows, extremes),
    'judge/comparisons': comparisons,
    'judge/bad_lines': parsed.badLines.length,
  };
  return { triplets, metrics, badLines: parsed.badLines };
}
