/**
 * Round t's evaluation table row from its judgment rows (records.ts): win rate and
 * length-controlled win rate of pi_{t+1} against pi_0 and against pi_t (stats.ts), mean response
 * length of each policy, and the evaluation's size. Deterministic: the same rows give the same
 * bytes, so two hosts writing it race harmlessly.
 */
import type { EvalJudgmentRow, EvalMetrics, EvalVersus } from './records.ts';
import { lengthControlledWinRate, meanTokens, winRate, type Comparison } from './stats.ts';

export interface EvalMetricsOptions {
  runId: string;
  round: number;
  judgeModel: string;
  samplesPerPrompt: number;
}

function versus(rows: readonly EvalJudgmentRow[], baseline: number): EvalVersus {
  const comparisons: Comparison[] = [];
  for (const row of rows) {
    for (const c of row.comparisons) {
      if (c.baseline !== baseline) continue;
      comparisons.push({ prompt_id: row.prompt_id, p: c.win_prob, candidate_tokens: row.response_tokens, baseline_tokens: c.response_tokens });
    }
  }
  if (comparisons.length === 0) throw new RangeError(`no judgments against checkpoint ${baseline}: every judgment row needs a comparison with each baseline`);
  const raw = winRate(comparisons);
  const lc = lengthControlledWinRate(comparisons);
  return {
    baseline,
    win_rate: raw.win_rate,
    win_rate_ci95: raw.ci95,
    lc_win_rate: lc.lc_win_rate,
    lc_win_rate_ci95: lc.ci95,
    length_weight: lc.length_weight,
    mean_length_diff: comparisons.reduce((s, c) => s + c.candidate_tokens - c.baseline_tokens, 0) / comparisons.length,
    comparisons: comparisons.length,
  };
}

export function evalMetricsFromJudgments(rows: readonly EvalJudgmentRow[], { runId, round, judgeModel, samplesPerPrompt }: EvalMetricsOptions): EvalMetrics {
  if (rows.length === 0) throw new RangeError(`round ${round} has no evaluation judgments`);
  const candidate = round + 1;
  const tokens = new Map<number, number[]>([[candidate, rows.map((r) => r.response_tokens)]]);
  const seen = new Set<string>();
  for (const row of rows) {
    for (const c of row.comparisons) {
      // A baseline's sample k is compared once per prompt; count its length once too.
      const id = `${c.baseline}/${row.prompt_id}/${row.sample}`;
      if (seen.has(id)) continue;
      seen.add(id);
      const list = tokens.get(c.baseline) ?? [];
      list.push(c.response_tokens);
      tokens.set(c.baseline, list);
    }
  }
  return {
    run_id: runId,
    round,
    candidate,
    judge_model: judgeModel,
    prompts: new Set(rows.map((r) => r.prompt_id)).size,
    samples_per_prompt: samplesPerPrompt,
    vs_base: versus(rows, 0),
    vs_previous: versus(rows, round),
    mean_response_tokens: [...tokens.entries()].sort(([a], [b]) => a - b).map(([policy, list]) => ({ policy, tokens: meanTokens(list) })),
  };
}
