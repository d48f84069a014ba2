// The judge stage without I/O: response-length metrics (tokens of all, chosen and rejected responses).
import { createLengthJudge } from '@sppo/model';
import { describe, expect, it } from 'vitest';
import { judgeGenerations, parseGenerationShard } from './shard.ts';
import { generationRow, jsonl } from './test-fixtures.ts';

describe('judgeGenerations', () => {
  it('reports mean response, chosen and rejected lengths in tokens (the length judge picks the longest)', async () => {
    const parsed = parseGenerationShard(jsonl([generationRow('a', 'x', ['aa', 'aaaa', 'a']), generationRow('b', 'y', ['bbbbbb', 'bb'])]));
    const { metrics } = await judgeGenerations(createLengthJudge(), parsed, { aggregation: 'official', estimator: 'include_self', selection: 'extremes' });
    // fixture tokens = characters: prompt a: mean 7/3, chosen 4, rejected 1; prompt b: mean 4, chosen 6, rejected 2
    expect(metrics['judge/response_tokens']).toBeCloseTo((7 / 3 + 4) / 2, 12);
    expect(metrics['judge/chosen_tokens']).toBe(5);
    expect(metrics['judge/rejected_tokens']).toBe(1.5);
  });
});

describe('parseGenerationShard', () => {
  it('reads the official generated layout and plain {prompt, responses} next to our rows; lengths only where the rows have token counts', async () => {
    const official = { prompt_id: 'o', prompt: 'x', generate_0: [{ content: 'x', role: 'user' }, { content: 'aa', role: 'assistant' }], generate_1: [{ content: 'x', role: 'user' }, { content: 'a', role: 'assistant' }], probability: [[0.5, 0.5], [0.5, 0.5]], rm_scores: [0, 0] };
    const parsed = parseGenerationShard(jsonl([official, { prompt: 'y', responses: ['b', 'bbb'] }]));
    expect(parsed.rows).toEqual([{ prompt_id: 'o', prompt: 'x', responses: ['aa', 'a'] }, { prompt_id: 'p1', prompt: 'y', responses: ['b', 'bbb'] }]);
    expect(parsed.badLines).toEqual([]);
    const seen: string[] = [];
    const judge = createLengthJudge();
    const spy = { ...judge, compare: (pairs: Parameters<typeof judge.compare>[0]) => (pairs.forEach((p) => seen.push(p.prompt)), judge.compare(pairs)) };
    const { triplets, metrics } = await judgeGenerations(spy, parsed, { aggregation: 'official', estimator: 'include_self', selection: 'extremes', renderPrompt: (p) => `<t>${p}</t>` });
    expect(new Set(seen)).toEqual(new Set(['<t>x</t>', '<t>y</t>']));
    expect(triplets.map((t) => ('chosen' in t ? t.chosen : undefined))).toEqual([
      [{ role: 'user', content: 'x' }, { role: 'assistant', content: 'aa' }],
      [{ role: 'user', content: 'y' }, { role: 'assistant', content: 'bbb' }],
    ]);
    expect(metrics['judge/response_tokens']).toBeUndefined();
  });
});
