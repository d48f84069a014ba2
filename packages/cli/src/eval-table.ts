// The evaluation table `./sppo run` prints as rounds finish (issue 21): one line per evaluated
// round, win rates of pi_{t+1} against pi_0 and pi_t with their 95% intervals, the
// length-controlled win rates (AlpacaEval 2.0 style; core's evaluation/stats.ts) and mean lengths.
import type { ApiSchemas } from '@sppo/core';

type EvalRow = ApiSchemas['RunView']['evaluation']['table'][number];

const pct = (x: number): string => (100 * x).toFixed(1);
const withInterval = (value: number, ci: readonly number[]): string => `${pct(value)} [${pct(ci[0] ?? 0)}, ${pct(ci[1] ?? 1)}]`;

const COLUMNS = ['round', 'policy', 'WR vs pi_0', 'LC vs pi_0', 'WR vs pi_t', 'LC vs pi_t', 'len pi_t+1', 'len pi_0'] as const;
const WIDTHS = [5, 6, 19, 19, 19, 19, 10, 8];

const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(WIDTHS[i] ?? 8)).join('  ').trimEnd();

/** The header: what the numbers are and who judged them. */
export function evalTableHeader(row: EvalRow): string[] {
  return [
    `evaluation: judge ${row.judge_model} on ${row.prompts} held-out prompt(s) x ${row.samples_per_prompt} sample(s); win rates of pi_{t+1} in %, [95% interval]; LC = length-controlled at zero length difference`,
    line(COLUMNS),
  ];
}

/** One round's line. */
export function evalTableLine(row: EvalRow): string {
  const tokens = (policy: number): string => row.mean_response_tokens.find((m) => m.policy === policy)?.tokens.toFixed(1) ?? '–';
  return line([
    String(row.round),
    `pi_${row.candidate}`,
    withInterval(row.vs_base.win_rate, row.vs_base.win_rate_ci95),
    withInterval(row.vs_base.lc_win_rate, row.vs_base.lc_win_rate_ci95),
    withInterval(row.vs_previous.win_rate, row.vs_previous.win_rate_ci95),
    withInterval(row.vs_previous.lc_win_rate, row.vs_previous.lc_win_rate_ci95),
    tokens(row.candidate),
    tokens(0),
  ]);
}

/** Prints the header once, then each row the first time it appears; returns the rounds printed. */
export function printNewEvalRows(table: readonly EvalRow[], printed: Set<number>, print: (text: string) => void = console.log): void {
  for (const row of table) {
    if (printed.has(row.round)) continue;
    if (printed.size === 0) for (const text of evalTableHeader(row)) print(text);
    print(evalTableLine(row));
    printed.add(row.round);
  }
}
