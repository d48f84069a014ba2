import { describe, expect, it } from 'vitest';
import { ValidationError } from '../errors.ts';
import { parseJsonl, toJsonl } from './jsonl.ts';
import { generationRowSchema, isPairTripletRow, pairTripletRowSchema, tripletRowSchema } from './rows.ts';

const GEN = {
  prompt_id: 'p0',
  prompt: 'hi',
  prompt_text: '<s>[INST] hi [/INST]',
  responses: ['a', 'b'],
  seeds: [0, 50],
  response_tokens: [3, 4],
  finish_reasons: ['stop', 'length'],
};
const PAIR = {
  prompt_id: 'p0',
  prompt: 'hi',
  chosen: 'a',
  rejected: [
    { role: 'user', content: 'hi' },
    { role: 'assistant', content: 'b' },
  ],
  chosen_probs: 0.7,
  chosen_probs_win: 0.6,
  chosen_probs_lose: 0.4,
  responses: ['a', 'b'],
  probability: [
    [0.5, 0.7],
    [0.3, 0.5],
  ],
  rm_scores: [0.4, -0.4],
};

describe('row schemas', () => {
  it('accept valid rows', () => {
    expect(generationRowSchema.parse(GEN)).toEqual(GEN);
    const row = tripletRowSchema.parse(PAIR);
    expect(isPairTripletRow(row)).toBe(true);
    const single = tripletRowSchema.parse({ ...PAIR, chosen: undefined, rejected: undefined, response: 'a', response_index: 0, win_rate: 0.6 });
    expect(isPairTripletRow(single)).toBe(false);
  });
  it('reject per-sample lists of different lengths, a non-square P and probabilities outside [0, 1]', () => {
    expect(generationRowSchema.safeParse({ ...GEN, seeds: [0] }).error?.issues[0]?.path).toEqual(['seeds']);
    expect(generationRowSchema.safeParse({ ...GEN, finish_reasons: ['stop', 'eos'] }).success).toBe(false);
    expect(pairTripletRowSchema.safeParse({ ...PAIR, probability: [[0.5, 0.7]] }).success).toBe(false);
    expect(pairTripletRowSchema.safeParse({ ...PAIR, chosen_probs: 1.2 }).success).toBe(false);
  });
});

describe('JSONL', () => {
  it('round-trips rows', () => {
    const text = toJsonl([GEN, GEN]);
    expect(text.split('\n')).toHaveLength(3);
    expect(parseJsonl(text, generationRowSchema)).toEqual([GEN, GEN]);
  });
  it('reports every bad line with its number', () => {
    const text = [JSON.stringify(GEN), '{oops', JSON.stringify({ ...GEN, seeds: [1] }), '', JSON.stringify(GEN)].join('\n');
    let error: unknown;
    try {
      parseJsonl(text, generationRowSchema, { subject: 'generation shard' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const issues = (error as ValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual(['line 2', 'line 3: seeds']);
    expect((error as Error).message).toMatch(/^Invalid generation shard: 2 problems/);
  });
});
