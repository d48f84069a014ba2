// Small SVG charts drawn in the page (no chart library, no request elsewhere): a line chart for the
// loss per step and a point chart per round (win rates, response lengths). Built with DOM calls,
// so labels are Text nodes, never parsed markup.
import { el, svg } from './dom.ts';

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

interface Frame {
  width: number;
  height: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const FRAME: Frame = { width: 480, height: 270, left: 54, right: 14, top: 30, bottom: 42 };
/** The loss chart spans the page's width (styles: .chart.wide), so it gets a wider frame. */
const WIDE: Frame = { ...FRAME, width: 960 };
export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

/** About `count` round tick values covering [min, max] (1, 2 or 5 times a power of ten apart). */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    const pad = Math.abs(min) * 0.1 || 1;
    return niceTicks(min - pad, max + pad, count);
  }
  const raw = (max - min) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.floor(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if ((ticks[0] ?? min) > min) ticks.unshift(Number(((ticks[0] ?? min) - step).toPrecision(12)));
  if ((ticks.at(-1) ?? max) < max) ticks.push(Number(((ticks.at(-1) ?? max) + step).toPrecision(12)));
  return ticks;
}

function scale(domain: [number, number], range: [number, number]): (v: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  return (v) => (d1 === d0 ? (r0 + r1) / 2 : r0 + ((v - d0) / (d1 - d0)) * (r1 - r0));
}

const label = (v: number): string => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(4))));

function axes(root: SVGSVGElement, f: Frame, yTicks: number[], y: (v: number) => number, xTicks: { value: number; text: string }[], x: (v: number) => number, xTitle: string, yTitle: string): void {
  const grid = svg('g', { class: 'grid' });
  const yAxis = svg('g', { class: 'axis y' });
  for (const t of yTicks) {
    grid.append(svg('line', { x1: f.left, x2: f.width - f.right, y1: y(t), y2: y(t) }));
    yAxis.append(svg('text', { x: f.left - 6, y: y(t) + 4, 'text-anchor': 'end' }, label(t)));
  }
  const xAxis = svg('g', { class: 'axis x' }, svg('line', { x1: f.left, x2: f.width - f.right, y1: f.height - f.bottom, y2: f.height - f.bottom }));
  for (const t of xTicks) {
    xAxis.append(svg('line', { x1: x(t.value), x2: x(t.value), y1: f.height - f.bottom, y2: f.height - f.bottom + 4 }));
    xAxis.append(svg('text', { x: x(t.value), y: f.height - f.bottom + 16, 'text-anchor': 'middle' }, t.text));
  }
  root.append(
    grid,
    yAxis,
    xAxis,
    svg('text', { x: (f.left + f.width - f.right) / 2, y: f.height - 6, 'text-anchor': 'middle' }, xTitle),
    svg('text', { x: 12, y: (f.top + f.height - f.bottom) / 2, 'text-anchor': 'middle', transform: `rotate(-90 12 ${(f.top + f.height - f.bottom) / 2})` }, yTitle),
  );
}

function legend(root: SVGSVGElement, f: Frame, names: readonly string[]): void {
  const g = svg('g', { class: 'legend' });
  let offset = f.left;
  names.forEach((name, i) => {
    g.append(svg('rect', { x: offset, y: 8, width: 10, height: 10, fill: PALETTE[i % PALETTE.length] ?? '#000' }), svg('text', { x: offset + 14, y: 17 }, name));
    offset += 26 + name.length * 7;
  });
  root.append(g);
}

function frame(f: Frame, description: string): SVGSVGElement {
  return svg('svg', { viewBox: `0 0 ${f.width} ${f.height}`, xmlns: 'http://www.w3.org/2000/svg', 'aria-hidden': 'true', focusable: 'false', 'data-description': description });
}

/** Replaces `host`'s content with a chart, or with `empty` when there is nothing to draw. */
function mount(host: HTMLElement, chart: SVGSVGElement | null, empty: string, summary: string): void {
  host.replaceChildren(chart ?? el('p', { class: 'chart-empty' }, empty));
  host.setAttribute('aria-label', chart === null ? empty : summary);
}

/** Lines of (x, y) points, one colour per series; `breaks` draws dashed verticals (round boundaries). */
export function lineChart(host: HTMLElement, series: readonly Series[], { xTitle, yTitle, empty, breaks = [] }: { xTitle: string; yTitle: string; empty: string; breaks?: { x: number; text: string }[] }): void {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return mount(host, null, empty, '');
  const f = WIDE;
  const xs = all.map((p) => p.x);
  const yTicks = niceTicks(Math.min(...all.map((p) => p.y)), Math.max(...all.map((p) => p.y)));
  const x = scale([Math.min(...xs), Math.max(...xs)], [f.left + 6, f.width - f.right - 6]);
  const y = scale([yTicks[0] ?? 0, yTicks.at(-1) ?? 1], [f.height - f.bottom, f.top]);
  const root = frame(f, `${yTitle} by ${xTitle}`);
  const xTicks = niceTicks(Math.min(...xs), Math.max(...xs), 6).filter((v) => v >= Math.min(...xs) && v <= Math.max(...xs) && Number.isInteger(v));
  axes(root, f, yTicks, y, xTicks.map((v) => ({ value: v, text: String(v) })), x, xTitle, yTitle);
  for (const b of breaks) root.append(svg('line', { class: 'break', x1: x(b.x), x2: x(b.x), y1: f.top, y2: f.height - f.bottom, stroke: '#8c959f', 'stroke-dasharray': '3 3' }));
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length] ?? '#000';
    const d = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.x).toFixed(1)},${y(p.y).toFixed(1)}`).join(' ');
    root.append(svg('path', { class: 'mark line', d, fill: 'none', stroke: colour, 'stroke-width': 2 }));
    // A dot per step while they can be told apart; beyond that the line alone (hover titles stay on the dots).
    if (s.points.length <= 60) for (const p of s.points) root.append(svg('circle', { class: 'mark', cx: x(p.x).toFixed(1), cy: y(p.y).toFixed(1), r: 2.5, fill: colour }, svg('title', {}, `${s.name}: step ${p.x}, ${label(p.y)}`)));
  });
  legend(root, f, series.map((s) => s.name));
  const last = series.map((s) => `${s.name} ends at ${label(s.points.at(-1)?.y ?? Number.NaN)}`).join('; ');
  mount(host, root, empty, `${yTitle} over ${all.length} steps: ${last}.`);
}

/**
 * Points per round (x = round 0..n-1), one colour per series, joined by thin lines; `reference`
 * draws a dashed horizontal line (e.g. the 0.5 win rate of a coin flip).
 */
export function roundChart(
  host: HTMLElement,
  rounds: number,
  series: readonly { name: string; values: (number | undefined)[] }[],
  { yTitle, empty, domain, reference }: { yTitle: string; empty: string; domain?: [number, number]; reference?: { y: number; text: string } },
): void {
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== undefined && Number.isFinite(v)));
  if (values.length === 0 || rounds === 0) return mount(host, null, empty, '');
  const f = FRAME;
  const yTicks = domain === undefined ? niceTicks(Math.min(0, ...values), Math.max(...values)) : niceTicks(domain[0], domain[1]);
  const x = scale([-0.5, rounds - 0.5], [f.left, f.width - f.right]);
  const y = scale([yTicks[0] ?? 0, yTicks.at(-1) ?? 1], [f.height - f.bottom, f.top]);
  const root = frame(f, `${yTitle} by round`);
  axes(root, f, yTicks, y, Array.from({ length: rounds }, (_, t) => ({ value: t, text: String(t) })), x, 'round', yTitle);
  if (reference !== undefined) {
    root.append(
      svg('line', { x1: f.left, x2: f.width - f.right, y1: y(reference.y), y2: y(reference.y), stroke: '#57606a', 'stroke-dasharray': '5 4' }),
      svg('text', { x: f.width - f.right - 4, y: y(reference.y) - 4, 'text-anchor': 'end' }, reference.text),
    );
  }
  const width = Math.min(14, (f.width - f.left - f.right) / rounds / (series.length + 1));
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length] ?? '#000';
    const offset = (i - (series.length - 1) / 2) * width;
    const points = s.values.map((v, t) => ({ t, v })).filter((p): p is { t: number; v: number } => p.v !== undefined && Number.isFinite(p.v));
    if (points.length > 1) {
      const d = points.map((p, j) => `${j === 0 ? 'M' : 'L'}${(x(p.t) + offset).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
      root.append(svg('path', { class: 'mark line', d, fill: 'none', stroke: colour, 'stroke-width': 1, 'stroke-opacity': 0.6 }));
    }
    for (const p of points) {
      root.append(svg('circle', { class: 'mark', cx: (x(p.t) + offset).toFixed(1), cy: y(p.v).toFixed(1), r: 4.5, fill: colour }, svg('title', {}, `${s.name}, round ${p.t}: ${label(p.v)}`)));
    }
  });
  legend(root, f, series.map((s) => s.name));
  const summary = series.map((s) => `${s.name}: ${s.values.map((v) => (v === undefined ? '–' : label(v))).join(', ')}`).join('; ');
  mount(host, root, empty, `${yTitle} per round. ${summary}.`);
}
