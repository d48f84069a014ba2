/**
 * The demo's report: one row per policy pi_t (t = 0 is the base), in the spirit of the paper's
 * Table 1 (SPPO-REFERENCE 2.8: win rate, and average length to show the length bias), written as
 * JSON with `--report FILE` and printed as a table.
 */
import { z } from 'zod';

const interval = z.tuple([z.number(), z.number()]);

export const winRateSchema = z.strictObject({
  /** Win rate under the exact oracle. */
  oracle: z.number().min(0).max(1),
  /** Win rate under the learned judge (the run's mini-PairRM). */
  judge: z.number().min(0).max(1),
  ci95: z.strictObject({ oracle: interval, judge: interval }),
});
export type WinRateEntry = z.infer<typeof winRateSchema>;

const styleMixSchema = z.strictObject({ plain: z.number().min(0).max(1), formal: z.number().min(0).max(1), warm: z.number().min(0).max(1) });
const styleGameSchema = z.strictObject({
  /** P(row style beats column style) among correct answers, rows and columns in plain, formal, warm order. */
  preference: z.array(z.array(z.number().min(0).max(1)).length(3)).length(3),
  nash: styleMixSchema,
});

const stageVersusSchema = z.strictObject({
  win_rate: z.number().min(0).max(1),
  ci95: interval,
  lc_win_rate: z.number().min(0).max(1),
  lc_ci95: interval,
});

export const roundReportSchema = z.strictObject({
  /** t of pi_t: 0 is the base policy, t >= 1 the checkpoint after t SPPO iterations. */
  round: z.number().int().min(0),
  win_rate_vs_base: winRateSchema,
  /** Against pi_{t-1}; null for the base. */
  win_rate_vs_prev: winRateSchema.nullable(),
  /** Fraction of held-out responses the oracle counts correct. */
  correct_rate: z.number().min(0).max(1),
  mean_response_tokens: z.number().min(0),
  style_distribution: z.strictObject({
    fractions: z.strictObject({ plain: z.number(), formal: z.number(), warm: z.number(), malformed: z.number() }),
    /** The oracle's Nash mix over the styles (uniform: the rock-paper-scissors cycle). */
    nash: styleMixSchema,
    /** TV distance of the well-formed responses' style mix to the oracle's Nash mix. */
    tv_to_nash: z.number().nullable(),
    /** The learned judge's own Nash mix over the styles: where SPPO against this judge heads. */
    judge_nash: styleMixSchema,
    tv_to_judge_nash: z.number().nullable(),
  }),
  /** Mean training loss of the round that produced pi_t (null for the base). */
  loss: z.number().nullable(),
  /**
   * The run's own evaluation stage (issue 21) on the same held-out prompts: its learned judge's
   * position-debiased win rates of pi_t against pi_0 and pi_{t-1}, with the length-controlled
   * estimate (null for the base). The same preference as the 'judge' column, measured by the
   * services on their own samples; the oracle columns are the truth.
   */
  stage_evaluation: z
    .strictObject({
      vs_base: stageVersusSchema,
      vs_prev: stageVersusSchema,
      samples_per_prompt: z.number().int().min(1),
      prompts: z.number().int().min(0),
    })
    .nullable(),
});
export type RoundReport = z.infer<typeof roundReportSchema>;
/** A round's report as the demo's own oracle evaluation builds it, before the stage's numbers join it. */
export type OracleRoundReport = Omit<RoundReport, 'stage_evaluation'>;

export const demoReportSchema = z.strictObject({
  loss_type: z.string(),
  rounds: z.array(roundReportSchema).min(1),
  /** Held-out agreement of the learned judge with the oracle's preferred side (null: no decided pair). */
  judge_agreement: z.number().min(0).max(1).nullable(),
  elapsed_s: z.number().min(0),
  run_id: z.string(),
  /** The run's objects as plain files under their S3 keys. */
  artifacts_dir: z.string(),
  /**
   * The style games among correct answers: the oracle's (exact) and the learned judge's (its
   * debiased probabilities, averaged over the evaluation prompts), each with its Nash mix.
   */
  style_games: z.strictObject({ oracle: styleGameSchema, judge: styleGameSchema }),
  /** What was run: the recipe and evaluation sizes. */
  setup: z.record(z.string(), z.unknown()),
});
export type DemoReport = z.infer<typeof demoReportSchema>;

export const compareReportSchema = z.strictObject({
  compare: z.array(demoReportSchema).min(1),
  judge_agreement: z.number().min(0).max(1).nullable(),
  elapsed_s: z.number().min(0),
});
export type CompareReport = z.infer<typeof compareReportSchema>;

const pct = (x: number): string => `${(100 * x).toFixed(1)}`;
const withCi = (x: number, ci: readonly [number, number]): string => `${pct(x)} [${pct(ci[0])}, ${pct(ci[1])}]`;

function pad(cells: string[][]): string[] {
  const widths = cells[0]?.map((_, c) => Math.max(...cells.map((row) => (row[c] ?? '').length))) ?? [];
  return cells.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  '));
}

const HEADER = ['policy', 'WR vs pi_0: oracle [95% CI]', 'judge [95% CI]', 'run eval stage [95% CI] (LC)', 'WR vs pi_t-1 (oracle)', 'correct', 'tokens', 'plain/formal/warm/bad', 'TV to Nash: oracle', 'judge', 'loss'];
const tv = (x: number | null): string => (x === null ? '-' : x.toFixed(3));

function row(r: RoundReport, label: string): string[] {
  const f = r.style_distribution.fractions;
  return [
    label,
    withCi(r.win_rate_vs_base.oracle, r.win_rate_vs_base.ci95.oracle),
    withCi(r.win_rate_vs_base.judge, r.win_rate_vs_base.ci95.judge),
    r.stage_evaluation === null ? '-' : `${withCi(r.stage_evaluation.vs_base.win_rate, r.stage_evaluation.vs_base.ci95)} (${pct(r.stage_evaluation.vs_base.lc_win_rate)})`,
    r.win_rate_vs_prev === null ? '-' : withCi(r.win_rate_vs_prev.oracle, r.win_rate_vs_prev.ci95.oracle),
    `${pct(r.correct_rate)}%`,
    r.mean_response_tokens.toFixed(2),
    [f.plain, f.formal, f.warm, f.malformed].map((x) => Math.round(100 * x)).join('/'),
    tv(r.style_distribution.tv_to_nash),
    tv(r.style_distribution.tv_to_judge_nash),
    r.loss === null ? '-' : r.loss.toPrecision(3),
  ];
}

/** The per-round table of one run (win rates in %, styles in % of all responses). */
export function formatReportTable(report: DemoReport): string {
  const rows = report.rounds.map((r) => row(r, r.round === 0 ? 'pi_0 (base)' : `pi_${r.round} ${report.loss_type}`));
  return pad([HEADER, ...rows]).join('\n');
}

/** One table for several loss types: the base once, then each method's rounds. */
export function formatCompareTable(report: CompareReport): string {
  const rows: string[][] = [];
  const base = report.compare[0]?.rounds.find((r) => r.round === 0);
  if (base !== undefined) rows.push(row(base, 'pi_0 (base)'));
  for (const run of report.compare) {
    for (const r of run.rounds) if (r.round > 0) rows.push(row(r, `pi_${r.round} ${run.loss_type}`));
  }
  return pad([HEADER, ...rows]).join('\n');
}

const mix = (m: Readonly<Record<'plain' | 'formal' | 'warm', number>>): string => [m.plain, m.formal, m.warm].map((x) => Math.round(100 * x)).join('/');

/** The Nash line: the mix over styles each preference's game prefers (the oracle's and the judge's). */
export function formatNashLine(games: DemoReport['style_games']): string {
  return `Nash mix over styles (plain/formal/warm, %): oracle ${mix(games.oracle.nash)}, learned judge ${mix(games.judge.nash)}; TV to Nash: oracle / judge columns`;
}

/** What the three win-rate columns against pi_0 measure. */
export const WIN_RATE_COLUMNS_LINE =
  "WR vs pi_0: 'oracle' is the task's exact preference (the truth); 'judge' the learned judge on the demo's own samples; " +
  "'run eval stage' the run's evaluation stage (eval_prompts = these held-out prompts): the same learned judge through the services, " +
  'both orders, its own samples, with the length-controlled win rate in parentheses. The two judge columns measure the same preference; where they differ from the oracle, the judge is wrong.';

export function formatFooter(report: { judge_agreement: number | null; elapsed_s: number; style_games?: DemoReport['style_games']; compare?: readonly DemoReport[] }, artifacts: string[]): string {
  const games = report.style_games ?? report.compare?.[0]?.style_games;
  return [
    WIN_RATE_COLUMNS_LINE,
    ...(games === undefined ? [] : [formatNashLine(games)]),
    `judge agreement with the oracle on held-out pairs: ${report.judge_agreement === null ? 'n/a (no pair the oracle decides)' : `${pct(report.judge_agreement)}%`}`,
    `elapsed: ${report.elapsed_s.toFixed(1)} s`,
    ...artifacts.map((dir) => `artifacts: ${dir}`),
  ].join('\n');
}
