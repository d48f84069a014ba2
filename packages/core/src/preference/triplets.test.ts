import { describe, expect, it } from 'vitest';
import { pairTripletRowSchema, responseTripletRowSchema, tripletRowSchema } from '../schemas/rows.ts';
import { buildTriplets, combineJudgeMetrics, judgeMetricsFromTriplets } from './triplets.ts';
import type { PairTripletRow } from '../schemas/rows.ts';

const SCORES = [0.8, 0.1, -0.3, 0.5, -1.1];
const C = SCORES.map((si, i) => SCORES.map((sj, j) => (i === j ? 0 : (si - sj) / 2)));
const RESPONSES = ['r0', 'r1', 'r2', 'r3', 'r4'];

describe('buildTriplets', () => {
  it("selection 'extremes' reproduces the official worked example row", () => {
    const rows: PairTripletRow[] = buildTriplets({ promptId: 'p0', prompt: 'hi', responses: RESPONSES, C });
    expect(rows).toHaveLength(1);
    const row = rows[0];
    if (row === undefined) throw new Error('no row');
    expect(row.chosen).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'r0' },
    ]);
    expect(row.rejected).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'r4' },
    ]);
    expect(row.chosen_probs).toBeCloseTo(0.8698915256370021, 12);
    expect(row.chosen_probs_win).toBeCloseTo(0.6725563840423889, 12);
    expect(row.chosen_probs_lose).toBeCloseTo(0.26791816492048864, 12);
    row.rm_scores.forEach((s, i) => expect(s).toBeCloseTo(SCORES[i] ?? 0, 12));
    expect(row.probability).toHaveLength(5);
    expect(row.responses).toEqual(RESPONSES);
    expect(pairTripletRowSchema.safeParse(row).success).toBe(true);
    expect(tripletRowSchema.safeParse(row).success).toBe(true);
  });

  it("selection 'all' gives one row per response with its own win rate (exclude_self, text)", () => {
    const rows = buildTriplets({ promptId: 'p0', prompt: 'hi', responses: RESPONSES, C, selection: 'all', estimator: 'exclude_self', completionFormat: 'text' });
    expect(rows.map((r) => r.response)).toEqual(RESPONSES);
    expect(rows[0]?.win_rate).toBeCloseTo(0.7156954800529862, 12);
    expect(rows[4]?.win_rate).toBeCloseTo(0.20989770615061082, 12);
    for (const row of rows) expect(responseTripletRowSchema.safeParse(row).success).toBe(true);
  });

  it('rejects a C that does not match the responses', () => {
    expect(() => buildTriplets({ promptId: 'p', prompt: 'x', responses: ['a', 'b', 'c'], C: [[0, 1], [1, 0]] })).toThrow(/3 responses but C is 2 x 2/);
  });

  it('judge metrics are means over pair rows and count ties', () => {
    const [a] = buildTriplets({ promptId: 'a', prompt: 'x', responses: RESPONSES, C });
    const [tie] = buildTriplets({ promptId: 'b', prompt: 'y', responses: ['u', 'v'], C: [[0, 1], [1, 0]] });
    if (a === undefined || tie === undefined) throw new Error('no rows');
    expect(tie.chosen_probs).toBe(0.5);
    const m = judgeMetricsFromTriplets([a, tie]);
    expect(m['judge/prompts']).toBe(2);
    expect(m['judge/ties']).toBe(0.5);
    expect(m['judge/chosen_probs']).toBeCloseTo((0.8698915256370021 + 0.5) / 2, 12);
  });
});

describe('combineJudgeMetrics', () => {
  it('sums the counts and weights the means by each shard\'s prompts', () => {
    const combined = combineJudgeMetrics([
      { 'judge/prompts': 3, 'judge/comparisons': 60, 'judge/bad_lines': 1, 'judge/chosen_probs': 0.9, 'judge/ties': 0 },
      { 'judge/prompts': 1, 'judge/comparisons': 20, 'judge/bad_lines': 0, 'judge/chosen_probs': 0.5, 'judge/ties': 1 },
    ]);
    expect(combined['judge/prompts']).toBe(4);
    expect(combined['judge/comparisons']).toBe(80);
    expect(combined['judge/bad_lines']).toBe(1);
    expect(combined['judge/chosen_probs']).toBeCloseTo((3 * 0.9 + 0.5) / 4, 12);
    expect(combined['judge/ties']).toBeCloseTo(0.25, 12);
  });

  it('is empty for no shards', () => {
    expect(combineJudgeMetrics([])).toEqual({});
  });
});
