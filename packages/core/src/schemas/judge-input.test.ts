import { describe, expect, it } from 'vitest';
import { allRowsBadMessage, parseJudgeInputRow } from './judge-input.ts';
import { trainingPairRowSchema, trainingTripletRowSchema, isPairTripletRow } from './rows.ts';

const ours = { prompt_id: 'p7', prompt: 'hi', prompt_text: '<s>[INST] hi [/INST]', responses: ['a', 'bb'], seeds: [0, 50], response_tokens: [1, 2], finish_reasons: ['stop', 'length'] };
// The UCLA-AGI/data-*-sppo-iter* layout (SPPO-REFERENCE 2.2 step 7).
const official = {
  prompt_id: '0b3c',
  prompt: 'hi',
  generate_1: [{ content: 'hi', role: 'user' }, { content: 'bb', role: 'assistant' }],
  generate_0: [{ content: 'hi', role: 'user' }, { content: 'a', role: 'assistant' }],
  probability: [[0.5, 0.4], [0.6, 0.5]],
  rm_scores: [-0.1, 0.1],
};

describe('parseJudgeInputRow', () => {
  it('brings our rows, the official generated layout and plain {prompt, responses} to one shape', () => {
    expect(parseJudgeInputRow(ours, 0)).toEqual({ ok: true, row: ours });
    expect(parseJudgeInputRow(official, 3)).toEqual({ ok: true, row: { prompt_id: '0b3c', prompt: 'hi', responses: ['a', 'bb'] } });
    expect(parseJudgeInputRow({ prompt: 'hi', responses: ['a', 'bb'] }, 3)).toEqual({ ok: true, row: { prompt_id: 'p3', prompt: 'hi', responses: ['a', 'bb'] } });
    // Integer ids (pandas' default index) and plain-string generate_k.
    expect(parseJudgeInputRow({ prompt_id: 12, prompt: 'hi', generate_0: 'a', generate_1: 'b' }, 0)).toEqual({ ok: true, row: { prompt_id: '12', prompt: 'hi', responses: ['a', 'b'] } });
    // A table with rows of different K pads the missing generate_k with null.
    expect(parseJudgeInputRow({ prompt: 'hi', generate_0: 'a', generate_1: 'b', generate_2: null }, 0)).toEqual({ ok: true, row: { prompt_id: 'p0', prompt: 'hi', responses: ['a', 'b'] } });
  });

  it('says what a bad row lacks', () => {
    const message = (v: unknown): string => {
      const r = parseJudgeInputRow(v, 0);
      return r.ok ? 'ok' : r.message;
    };
    expect(message([1])).toBe('not a JSON object');
    expect(message({ responses: ['a', 'b'] })).toMatch(/^prompt: .*required/);
    expect(message({ prompt: 'x' })).toMatch(/no responses: give responses .* or generate_0/);
    expect(message({ prompt: 'x', responses: ['a'], generate_0: 'a' })).toMatch(/either responses or generate_0, not both/);
    expect(message({ prompt: 'x', generate_0: 'a', generate_2: 'b' })).toMatch(/generate_2 is out of sequence/);
    expect(message({ prompt: 'x', generate_0: [{ role: 'user', content: 'x' }] })).toMatch(/generate_0: .*end with the assistant message/);
    expect(message({ ...ours, seeds: [0] })).toMatch(/seeds has 1 entries but there are 2 responses/);
  });

  it('words the error of an input with no usable row', () => {
    const bad = Array.from({ length: 7 }, (_, i) => ({ where: `line ${i + 1}`, message: 'no responses' }));
    const text = allRowsBadMessage('--data x.jsonl', bad, 'rows need responses');
    expect(text).toMatch(/^--data x\.jsonl: none of its 7 row\(s\) is usable; rows need responses\n  - line 1: no responses/);
    expect(text).toMatch(/line 5: no responses\n  \.\.\. and 2 more$/);
  });
});

describe('trainingPairRowSchema', () => {
  // Only the columns the official training step keeps (compute_prob.py prepare_score, run_sppo.py).
  const minimal = {
    prompt: 'hi',
    chosen: [{ content: 'hi', role: 'user' }, { content: 'a', role: 'assistant' }],
    rejected: [{ content: 'hi', role: 'user' }, { content: 'b', role: 'assistant' }],
    chosen_probs: 0.87,
    chosen_probs_win: 0.67,
    chosen_probs_lose: 0.27,
  };

  it('accepts the official training columns alone; responses, probability and rm_scores are optional extras', () => {
    expect(trainingPairRowSchema.parse(minimal)).toEqual(minimal);
    const row = trainingTripletRowSchema.parse({ ...minimal, chosen: 'a', rejected: 'b' });
    expect(isPairTripletRow(row)).toBe(true);
    expect(trainingPairRowSchema.safeParse({ ...minimal, responses: ['a', 'b'], rm_scores: [1, 0], probability: [[0.5, 0.7], [0.3, 0.5]] }).success).toBe(true);
  });

  it('still checks the extras when present, and the probabilities always', () => {
    const issues = (v: unknown): string[] => {
      const r = trainingPairRowSchema.safeParse(v);
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(issues({ ...minimal, responses: ['a', 'b'], rm_scores: [1] })).toEqual([expect.stringMatching(/^rm_scores: rm_scores has 1 entries but responses has 2/)]);
    expect(issues({ ...minimal, rm_scores: [1, 0], probability: [[0.5]] })).toEqual([expect.stringMatching(/^probability: probability must be 2x2/)]);
    expect(issues({ ...minimal, chosen_probs_win: 1.5 })).toEqual([expect.stringMatching(/^chosen_probs_win: /)]);
    const { chosen_probs_lose: _, ...missing } = minimal;
    expect(issues(missing)).toEqual([expect.stringMatching(/^chosen_probs_lose: /)]);
  });
});
