/**
 * From one prompt's K responses and judge logits to training rows (ARCHITECTURE 3.3), following
 * scripts/compute_prob.py (`from_ranks`, `prepare_score`); SPPO-REFERENCE 2.2 steps 7-8.
 */
import { PreferenceInputError } from '../errors.ts';
import type { ChatMessage, Completion, PairTripletRow, ResponseTripletRow } from '../schemas/rows.ts';
import { aggregateScores, preferenceMatrix, selectPair, winRates, type ScoreAggregation, type WinRateEstimator } from './matrix.ts';

export type Selection = 'extremes' | 'all';
/** 'messages': [{user}, {assistant}] lists like the official datasets; 'text': the bare response. */
export type CompletionFormat = 'messages' | 'text';

export interface BuildTripletsOptions {
  promptId: string;
  prompt: string;
  responses: readonly string[];
  /** PairRM logits over ordered pairs, K x K (diagonal unused). */
  C: readonly (readonly number[])[];
  aggregation?: ScoreAggregation;
  estimator?: WinRateEstimator;
  selection?: Selection;
  completionFormat?: CompletionFormat;
}

function completion(prompt: string, response: string, format: CompletionFormat): Completion {
  if (format === 'text') return response;
  const messages: ChatMessage[] = [
    { role: 'user', content: prompt },
    { role: 'assistant', content: response },
  ];
  return messages;
}

/**
 * Builds the triplet rows of one prompt.
 * - selection 'extremes' (official): one row; w = argmax s, l = argmin s (s = rm_scores, NumPy tie
 *   rule, so all-equal scores give w = l = 0 exactly as upstream), chosen_probs = P[w][l],
 *   chosen_probs_win = winRate[w], chosen_probs_lose = winRate[l]. The other K-2 responses only feed
 *   the win-rate estimates.
 * - selection 'all': K rows, one per response with its own win_rate (Algorithm 1 with every sample).
 * Every row also carries responses, probability (P) and rm_scores (s) of the generated set; rm_scores
 * are the PairRM aggregate scores whatever the aggregation, and pairs are selected by them.
 */
export function buildTriplets(options: BuildTripletsOptions & { selection?: 'extremes' }): PairTripletRow[];
export function buildTriplets(options: BuildTripletsOptions & { selection: 'all' }): ResponseTripletRow[];
export function buildTriplets(options: BuildTripletsOptions): PairTripletRow[] | ResponseTripletRow[];
export function buildTriplets({
  promptId,
  prompt,
  responses,
  C,
  aggregation = 'official',
  estimator = 'include_self',
  selection = 'extremes',
  completionFormat = 'messages',
}: BuildTripletsOptions): PairTripletRow[] | ResponseTripletRow[] {
  if (responses.length !== C.length) {
    throw new PreferenceInputError(`prompt ${promptId}: ${responses.length} responses but C is ${C.length} x ${C.length}; C must be K x K for the K responses.`);
  }
  const rmScores = aggregateScores(C);
  const probability = preferenceMatrix(C, aggregation);
  const rates = winRates(probability, estimator);
  const base = { prompt_id: promptId, prompt, responses: [...responses], probability, rm_scores: rmScores };

  if (selection === 'all') {
    return responses.map((response, index) => ({
      ...base,
      response_index: index,
      response: completion(prompt, response, completionFormat),
      win_rate: rates[index] ?? Number.NaN,
    }));
  }
  if (selection !== 'extremes') {
    throw new PreferenceInputError(`unknown selection ${JSON.stringify(selection)}: use 'extremes' or 'all'.`);
  }
  const { winner, loser } = selectPair(rmScores);
  return [
    {
      ...base,
      chosen: completion(prompt, responses[winner] ?? '', completionFormat),
      rejected: completion(prompt, responses[loser] ?? '', completionFormat),
      chosen_probs: probability[winner]?.[loser] ?? Number.NaN,
      chosen_probs_win: rates[winner] ?? Number.NaN,
      chosen_probs_lose: rates[loser] ?? Number.NaN,
    },
  ];
}

/** Judge metrics of a round (JUDGE_METRIC_NAMES) from its pair rows: means over prompts. */
export function judgeMetricsFromTriplets(rows: readonly PairTripletRow[]): Record<string, number> {
  const n = rows.length;
  const mean = (pick: (row: PairTripletRow) => number): number => (n === 0 ? 0 : rows.reduce((sum, row) => sum + pick(row), 0) / n);
  return {
    'judge/prompts': n,
    'judge/chosen_probs': mean((row) => row.chosen_probs),
    'judge/chosen_probs_win': mean((row) => row.chosen_probs_win),
    'judge/chosen_probs_lose': mean((row) => row.chosen_probs_lose),
    // A tie (all scores equal, w = l) carries no preference signal; its share flags a degenerate judge.
    'judge/ties': mean((row) => (row.rm_scores.every((s) => s === row.rm_scores[0]) ? 1 : 0)),
  };
}

/**
 * A round's judge metrics from its shards' (the judge writes one object per shard, judgeMetricsKey):
 * counts (`judge/prompts`, `judge/comparisons`, `judge/bad_lines`, ...) are summed, every other
 * value is a mean over prompts, so it is combined weighted by each shard's `judge/prompts`.
 */
export function combineJudgeMetrics(shards: readonly Record<string, number>[]): Record<string, number> {
  const COUNTS = new Set(['judge/prompts', 'judge/comparisons', 'judge/bad_lines']);
  const total = shards.reduce((sum, m) => sum + (m['judge/prompts'] ?? 0), 0);
  const combined: Record<string, number> = {};
  for (const name of new Set(shards.flatMap((m) => Object.keys(m)))) {
    const present = shards.filter((m) => m[name] !== undefined);
    if (COUNTS.has(name)) combined[name] = present.reduce((sum, m) => sum + m[name]!, 0);
    else if (total > 0) combined[name] = present.reduce((sum, m) => sum + m[name]! * (m['judge/prompts'] ?? 0), 0) / total;
  }
  return combined;
}
