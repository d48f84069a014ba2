import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { normalizePrompts, planRound, promptsPerRound, roundShardCount } from './plan.ts';

describe('normalizePrompts', () => {
  it('keeps given ids and numbers the rest by pool position', () => {
    expect(normalizePrompts(['a', { prompt_id: 'x', prompt: 'b' }, { prompt: 'c' }])).toEqual([
      { prompt_id: 'p0', prompt: 'a' },
      { prompt_id: 'x', prompt: 'b' },
      { prompt_id: 'p2', prompt: 'c' },
    ]);
  });
  it('lists every duplicated id', () => {
    let error: unknown;
    try {
      normalizePrompts([{ prompt_id: 'x', prompt: 'a' }, { prompt_id: 'x', prompt: 'b' }, { prompt_id: 'p3', prompt: 'c' }, 'd']);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((i) => i.path)).toEqual(['prompts[1].prompt_id', 'prompts[3].prompt_id']);
  });
});

describe('planRound', () => {
  it('default: a new disjoint part of the pool each round (official 3-way split)', () => {
    const base = { poolSize: 10, numIterations: 3, promptsPerShard: 2 };
    expect(promptsPerRound(base)).toBe(3);
    expect(roundShardCount(base)).toBe(2);
    expect(planRound({ ...base, round: 0 })).toEqual([
      { shard: 0, indices: [0, 1] },
      { shard: 1, indices: [2] },
    ]);
    expect(planRound({ ...base, round: 2 }).flatMap((s) => s.indices)).toEqual([6, 7, 8]);
  });
  it('wraps around the pool when prompts_per_iteration exceeds what is left', () => {
    const plan = planRound({ poolSize: 4, numIterations: 3, promptsPerIteration: 3, promptsPerShard: 8, round: 1 });
    expect(plan).toEqual([{ shard: 0, indices: [3, 0, 1] }]);
  });
  it('a pool smaller than num_iterations still gives every round a prompt', () => {
    expect(planRound({ poolSize: 2, numIterations: 3, promptsPerShard: 1, round: 2 })).toEqual([{ shard: 0, indices: [0] }]);
    expect(() => planRound({ poolSize: 0, numIterations: 3, promptsPerShard: 1, round: 0 })).toThrow(/empty/);
  });
});
