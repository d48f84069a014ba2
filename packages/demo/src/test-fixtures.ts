// A hand-made report for the chart and table tests (not exported from the package index).
import type { DemoReport, RoundReport } from './report.ts';

export function fakeRound(t: number, winRate: number): RoundReport {
  return {
    round: t,
    win_rate_vs_base: { oracle: winRate, judge: winRate - 0.02, ci95: { oracle: [winRate - 0.05, winRate + 0.05], judge: [winRate - 0.07, winRate + 0.04] } },
    win_rate_vs_prev: t === 0 ? null : { oracle: 0.55, judge: 0.54, ci95: { oracle: [0.5, 0.6], judge: [0.49, 0.59] } },
    correct_rate: 0.3 + 0.1 * t,
    mean_response_tokens: 4 + 0.25 * t,
    style_distribution: { fractions: { plain: 0.5, formal: 0.3, warm: 0.2, malformed: 0 }, nash: { plain: 1 / 3, formal: 1 / 3, warm: 1 / 3 }, tv_to_nash: 0.1667, judge_nash: { plain: 0.2, formal: 0.5, warm: 0.3 }, tv_to_judge_nash: 0.3 - 0.05 * t },
    loss: t === 0 ? null : 0.5 / t,
    stage_evaluation:
      t === 0
        ? null
        : {
            vs_base: { win_rate: winRate - 0.01, ci95: [winRate - 0.06, winRate + 0.04], lc_win_rate: winRate - 0.03, lc_ci95: [winRate - 0.09, winRate + 0.03] },
            vs_prev: { win_rate: 0.53, ci95: [0.48, 0.58], lc_win_rate: 0.52, lc_ci95: [0.46, 0.58] },
            samples_per_prompt: 8,
            prompts: 96,
          },
  };
}

export function fakeReport(lossType = 'sppo'): DemoReport {
  return {
    loss_type: lossType,
    rounds: [fakeRound(0, 0.5), fakeRound(1, 0.58), fakeRound(2, 0.63), fakeRound(3, 0.67)],
    judge_agreement: 0.88,
    elapsed_s: 123.4,
    run_id: 'local--20260101-000000-abcdef12',
    artifacts_dir: 'artifacts',
    style_games: {
      oracle: { preference: [[0.5, 0.269, 0.731], [0.731, 0.5, 0.269], [0.269, 0.731, 0.5]], nash: { plain: 1 / 3, formal: 1 / 3, warm: 1 / 3 } },
      judge: { preference: [[0.5, 0.4, 0.6], [0.6, 0.5, 0.3], [0.4, 0.7, 0.5]], nash: { plain: 0.2, formal: 0.5, warm: 0.3 } },
    },
    setup: { samples_per_prompt: 5 },
  };
}
