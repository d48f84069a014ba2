/**
 * The report's PNG chart: win rate against pi_0 per round (oracle and learned judge, with 95%
 * intervals) beside mean response length per round (the length-bias check). Rendered without a
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

function runsOf(report: DemoReport | CompareReport): DemoReport[] {
  return 'compare' in report ? report.compare : [report];
}

export function chartData(report: DemoReport | CompareReport): { winRates: ChartRow[]; lengths: LengthRow[] } {
  const runs = runsOf(report);
  const several = runs.length > 1;
  const winRates: ChartRow[] = [];
  const lengths: LengthRow[] = [];
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
    }
  }
  return { winRates, lengths };
}

/** The vega-lite spec (exported for tests and for users who want to restyle it). */
export function chartSpec(report: DemoReport | CompareReport): TopLevelSpec {
  const { winRates, lengths } = chartData(report);
  const several = 'compare' in report && report.compare.length > 1;
  // One run: colour = who judged. Several: colour = method (as in the length panel), shape = who judged.
  const color = several
    ? { field: 'method', type: 'nominal', title: 'method' }
    : { field: 'judged_by', type: 'nominal', title: 'judged by' };
  const shape = { field: 'judged_by', type: 'nominal', title: 'judged by', scale: { domain: ['oracle', 'learned judge'], range: ['circle', 'triangle-up'] } };
  const rounds = [...new Set(lengths.map((l) => l.round))].sort((a, b) => a - b);
  const roundAxis = { field: 'round', type: 'ordinal', title: 'round t (policy pi_t)', axis: { labelAngle: 0 }, scale: { domain: rounds } } as const;
  const title = 'compare' in report ? `SPPO demo: ${report.compare.map((r) => r.loss_type).join(' vs ')}` : `SPPO demo (${report.loss_type}), run ${report.run_id}`;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, fontSize: 15 },
    background: 'white',
    config: { font: FONT_FAMILY, view: { stroke: '#ddd' }, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 300 } },
    hconcat: [
      {
        title: 'Win rate vs pi_0 on held-out prompts (95% CI)',
        width: 360,
        height: 260,
        data: { values: winRates },
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
              xOffset: { field: 'series' },
              y: { field: 'lo', type: 'quantitative', title: 'win rate (%)', scale: { domain: [0, 100] } },
              y2: { field: 'hi' },
              color,
            },
          },
          {
            mark: { type: 'point', filled: true, size: 60, opacity: 1 },
            encoding: {
              x: roundAxis,
              xOffset: { field: 'series' },
              y: { field: 'win_rate', type: 'quantitative' },
              color,
              ...(several ? { shape } : {}),
            },
          },
        ],
      },
      {
        title: 'Mean response length (tokens)',
        width: 260,
        height: 260,
        data: { values: lengths },
        mark: { type: 'line', point: true },
        encoding: {
          x: roundAxis,
          y: { field: 'tokens', type: 'quantitative', title: 'tokens', scale: { zero: true } },
          color: { field: 'method', type: 'nominal', title: 'method' },
        },
      },
    ],
    resolve: { scale: { color: several ? 'shared' : 'independent' } },
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
