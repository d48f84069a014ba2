import { describe, expect, it } from 'vitest';
import { chartData, chartSpec, renderChartPng, renderChartSvg } from './chart.ts';
import { compareReportSchema, demoReportSchema, formatCompareTable, formatFooter, formatReportTable } from './report.ts';
import { fakeReport } from './test-fixtures.ts';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('report chart', () => {
  it('renders a PNG with the shipped font', async () => {
    const report = demoReportSchema.parse(fakeReport());
    const png = await renderChartPng(report);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    expect(png.byteLength).toBeGreaterThan(20_000);
    // IHDR: width and height (big-endian) of a 2x-zoomed ~800x300 chart
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    expect(view.getUint32(16)).toBeGreaterThan(1000);
    expect(view.getUint32(20)).toBeGreaterThan(400);
  });

  it('plots every round for the oracle and the judge, and the lengths', async () => {
    const { winRates, lengths } = chartData(fakeReport());
    expect(winRates).toHaveLength(8);
    const row = winRates.find((r) => r.round === 2 && r.series === 'oracle');
    expect(row?.win_rate).toBeCloseTo(63, 10);
    expect(row?.lo).toBeCloseTo(58, 10);
    expect(row?.hi).toBeCloseTo(68, 10);
    expect(lengths.map((l) => l.tokens)).toEqual([4, 4.25, 4.5, 4.75]);
    const { nash } = chartData(fakeReport());
    expect(nash).toHaveLength(8);
    expect(nash.find((r) => r.round === 2 && r.nash_of === 'learned judge')?.tv).toBeCloseTo(0.2, 10);
    const svg = await renderChartSvg(chartSpec(fakeReport()));
    expect(svg).toContain('<svg');
    expect(svg).toContain('Win rate vs pi_0, oracle');
    expect(svg).toContain('TV distance to the Nash mix');
    expect(svg).toContain('oracle 33/33/33, judge 20/50/30');
  });

  it('draws one series per method and judge when comparing', async () => {
    const compare = compareReportSchema.parse({ compare: [fakeReport('sppo'), fakeReport('sigmoid')], judge_agreement: 0.9, elapsed_s: 1 });
    expect(new Set(chartData(compare).winRates.map((r) => r.series))).toEqual(new Set(['sppo (oracle)', 'sppo (learned judge)', 'sigmoid (oracle)', 'sigmoid (learned judge)']));
    // every method's oracle win rate on one axis (one panel), each with its interval
    const spec = chartSpec(compare) as unknown as { concat: { title: string; data: { values: { method: string; lo: number; hi: number }[] } }[] };
    const oraclePanel = spec.concat.find((p) => p.title.startsWith('Win rate vs pi_0, oracle'));
    expect(new Set(oraclePanel?.data.values.map((v) => v.method))).toEqual(new Set(['sppo', 'sigmoid']));
    for (const v of oraclePanel?.data.values ?? []) expect(v.hi).toBeGreaterThan(v.lo);
    const png = await renderChartPng(compare);
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
  });
});

describe('report table', () => {
  it('prints one row per policy with intervals, styles and loss', () => {
    const lines = formatReportTable(fakeReport()).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain('WR vs pi_0');
    expect(lines[1]).toMatch(/^pi_0 \(base\)\s+50\.0 \[45\.0, 55\.0\]/);
    expect(lines[3]).toContain('63.0 [58.0, 68.0]');
    expect(lines[3]).toContain('50/30/20/0');
    expect(lines[1]).toMatch(/-\s*$/); // no loss for the base
    expect(lines[0]).toContain('TV to Nash: oracle');
    expect(lines[3]).toMatch(/0\.167\s+0\.200\s/); // TV to the oracle's and to the judge's Nash mix
    // The run's evaluation stage beside the oracle and the demo's judge: win rate [CI] (LC).
    expect(lines[0]).toContain('run eval stage');
    expect(lines[3]).toContain('62.0 [57.0, 67.0] (60.0)');
    expect(lines[1]).toMatch(/^pi_0 \(base\)\s+50\.0 \[45\.0, 55\.0\]\s+48\.0 \[43\.0, 54\.0\]\s+-\s/);
  });

  it('prints both Nash mixes in the footer, and says what each win-rate column measures', () => {
    const footer = formatFooter(fakeReport(), ['artifacts']);
    expect(footer).toContain("'run eval stage' the run's evaluation stage");
    expect(footer).toContain('oracle 33/33/33, learned judge 20/50/30');
    const compare = formatFooter({ compare: [fakeReport('sppo')], judge_agreement: 0.9, elapsed_s: 1 }, []);
    expect(compare).toContain('learned judge 20/50/30');
  });

  it('prints the base once and every method\'s rounds in the compare table', () => {
    const table = formatCompareTable({ compare: [fakeReport('sppo'), fakeReport('ipo')], judge_agreement: 0.9, elapsed_s: 1 });
    const lines = table.split('\n');
    expect(lines).toHaveLength(1 + 1 + 3 + 3);
    expect(lines.filter((l) => l.startsWith('pi_0'))).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('pi_3 ipo'))).toBe(true);
  });
});
