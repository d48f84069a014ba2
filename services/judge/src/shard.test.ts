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
