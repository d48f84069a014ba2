/**
 * The report's PNG chart: win rate against pi_0 per round under the oracle and under the learned
 * judge (every method of --compare on one axis, with 95% intervals), the style mix's distance to
 * the oracle's and to the judge's Nash mix (the Nash behaviour), and the mean response length per
 * round (the length-bias check). Rendered without a
 * browser or native canvas: vega-lite spec -> vega View.toSVG() -> @resvg/resvg-js PNG, with the
 * DejaVu Sans file shipped by the dejavu-fonts-ttf package so the text is the same on every machine.
 */
import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import type { CompareReport, DemoReport } from './report.ts';

const FONT_FAMILY = 'DejaVu Sans';

/** Path of the shipped font (resolved through node_modules, never a machine path). */
export function chartFontFile(): string {
  return createRequire(import.meta.url).resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
}

interface ChartRow {
  round: number;
  series: string;
  method: string;
  /** 'oracle' or 'learned judge'. */
  judged_by: string;
  win_rate: number;
  lo: number;
  hi: number;
}

interface LengthRow {
  round: number;
  method: string;
  tokens: number;
}

interface NashRow {
  round: number;
  method: string;
  /** Whose Nash mix the distance is to: 'oracle' or 'learned judge'. */
  nash_of: string;
  tv: number;
}

function runsOf(report: DemoReport | CompareReport): DemoReport[] {
  return 'compare' in report ? report.compare : [report];
}

export function chartData(report: DemoReport | CompareReport): { winRates: ChartRow[]; lengths: LengthRow[]; nash: NashRow[] } {
  const runs = runsOf(report);
  const several = runs.length > 1;
  const winRates: ChartRow[] = [];
  const lengths: LengthRow[] = [];
  const nash: NashRow[] = [];
  for (const run of runs) {
    for (const r of run.rounds) {
      for (const judge of ['oracle', 'judge'] as const) {
        const [lo, hi] = r.win_rate_vs_base.ci95[judge];
        const who = judge === 'oracle' ? 'oracle' : 'learned judge';
        winRates.push({
          round: r.round,
          series: several ? `${run.loss_type} (${who})` : who,
          method: run.loss_type,
          judged_by: who,
          win_rate: 100 * r.win_rate_vs_base[judge],
          lo: 100 * lo,
          hi: 100 * hi,
        });
      }
      lengths.push({ round: r.round, method: run.loss_type, tokens: r.mean_response_tokens });
      const { tv_to_nash, tv_to_judge_nash } = r.style_distribution;
      if (tv_to_nash !== null) nash.push({ round: r.round, method: run.loss_type, nash_of: 'oracle', tv: tv_to_nash });
      if (tv_to_judge_nash !== null) nash.push({ round: r.round, method: run.loss_type, nash_of: 'learned judge', tv: tv_to_judge_nash });
    }
  }
  return { winRates, lengths, nash };
}

const pct = (x: number): string => String(Math.round(100 * x));

/**
 * The vega-lite spec (exported for tests and for users who want to restyle it): a 2 x 2 grid of
 * win rate vs pi_0 under the oracle, the same under the learned judge (each: every method on one
 * axis, colour = method, with its 95% interval), the style mix's TV distance to each Nash mix, and
 * the mean response length.
 */
export function chartSpec(report: DemoReport | CompareReport): TopLevelSpec {
  const { winRates, lengths, nash } = chartData(report);
  const runs = runsOf(report);
  const methods = runs.map((r) => r.loss_type);
  const color = { field: 'method', type: 'nominal', title: 'method', scale: { domain: methods } };
  const rounds = [...new Set(lengths.map((l) => l.round))].sort((a, b) => a - b);
  const roundAxis = { field: 'round', type: 'ordinal', title: 'round t (policy pi_t)', axis: { labelAngle: 0 }, scale: { domain: rounds } } as const;
  const title = 'compare' in report ? `SPPO demo: ${methods.join(' vs ')}` : `SPPO demo (${report.loss_type}), run ${report.run_id}`;
  const games = runs[0]?.style_games;
  const nashTitle = {
    text:
      games === undefined
        ? ['Style mix: TV distance to the Nash mix (solid: oracle, dashed: judge)']
        : [
            'Style mix: TV distance to the Nash mix (solid: oracle, dashed: judge)',
            `(plain/formal/warm %: oracle ${[games.oracle.nash.plain, games.oracle.nash.formal, games.oracle.nash.warm].map(pct).join('/')}, judge ${[games.judge.nash.plain, games.judge.nash.formal, games.judge.nash.warm].map(pct).join('/')})`,
          ],
  };
  const winRatePanel = (judgedBy: string, heading: string) => ({
    title: heading,
    width: 340,
    height: 240,
    data: { values: winRates.filter((r) => r.judged_by === judgedBy) },
    layer: [
      {
        mark: { type: 'rule', color: '#999', strokeDash: [4, 4] },
        data: { values: [{ y: 50 }] },
        encoding: { y: { field: 'y', type: 'quantitative' } },
      },
      {
        mark: { type: 'errorbar', ticks: true, thickness: 1.5 },
        encoding: {
          x: roundAxis,
          xOffset: { field: 'method', scale: { domain: methods } },
          y: { field: 'lo', type: 'quantitative', title: 'win rate vs pi_0 (%)', scale: { domain: [0, 100] } },
          y2: { field: 'hi' },
          color,
        },
      },
      {
        mark: { type: 'point', filled: true, size: 60, opacity: 1 },
        encoding: { x: roundAxis, xOffset: { field: 'method', scale: { domain: methods } }, y: { field: 'win_rate', type: 'quantitative' }, color },
      },
    ],
  });
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 15 },
    background: 'white',
    config: { font: FONT_FAMILY, view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 300 }, title: { fontSize: 12 } },
    columns: 2,
    concat: [
      winRatePanel('oracle', 'Win rate vs pi_0, oracle (held-out prompts, 95% CI)'),
      winRatePanel('learned judge', 'Win rate vs pi_0, learned judge (95% CI)'),
      {
        title: nashTitle,
        width: 340,
        height: 200,
        data: { values: nash },
        mark: { type: 'line', point: true },
        encoding: {
          x: roundAxis,
          y: { field: 'tv', type: 'quantitative', title: 'TV distance', scale: { domain: [0, 0.7] } },
          color,
          strokeDash: { field: 'nash_of', type: 'nominal', title: 'to the Nash mix of', scale: { domain: ['oracle', 'learned judge'] }, legend: null },
          detail: { field: 'nash_of' },
        },
      },
      {
        title: 'Mean response length (tokens)',
        width: 340,
        height: 200,
        data: { values: lengths },
        mark: { type: 'line', point: true },
        encoding: {
          x: roundAxis,
          y: { field: 'tokens', type: 'quantitative', title: 'tokens', scale: { zero: true } },
          color,
        },
      },
    ],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

export async function renderChartSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export function svgToPng(svg: string, { scale = 2 } = {}): Uint8Array {
  const resvg = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { fontFiles: [chartFontFile()], loadSystemFonts: false, defaultFontFamily: FONT_FAMILY, sansSerifFamily: FONT_FAMILY },
  });
  return resvg.render().asPng();
}

/** The report's chart as PNG bytes. */
export async function renderChartPng(report: DemoReport | CompareReport): Promise<Uint8Array> {
  return svgToPng(await renderChartSvg(chartSpec(report)));
}
