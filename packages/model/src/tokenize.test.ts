import { describe, expect, it } from 'vitest';
import { renderChat } from './chat-template.ts';
import { syntheticCorpus } from './synthetic-corpus.ts';
import { createTokenizer } from './tokenizer.ts';
import { trainBpeTokenizer } from './tokenizer-train.ts';
import { bucketLength, collateSequences, tokenizeRow, truncatePromptAndResponses } from './tokenize.ts';

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('truncatePromptAndResponses (TRL keep_end, SPPO-REFERENCE 2.3)', () => {
  const opts = { maxLength: 20, maxPromptLength: 8 };

  it('leaves rows that fit untouched', () => {
    const r = truncatePromptAndResponses(range(100, 10), [range(0, 10), range(0, 4)], opts);
    expect(r.promptIds).toEqual(range(100, 10));
    expect(r.responseIds).toEqual([range(0, 10), range(0, 4)]);
    expect(r.promptTruncated).toBe(false);
    expect(r.responsesTruncated).toEqual([false, false]);
  });

  it('cuts the prompt from the left when prompt + longest response is too long', () => {
    const r = truncatePromptAndResponses(range(100, 15), [range(0, 12), range(0, 3)], opts);
    expect(r.promptIds).toEqual(range(107, 8));
    expect(r.responseIds).toEqual([range(0, 12), range(0, 3)]);
    expect(r.promptTruncated).toBe(true);
  });

  it('keeps a leading BOS when cutting the prompt', () => {
    const r = truncatePromptAndResponses([0, ...range(100, 14)], [range(0, 12)], { ...opts, bosId: 0 });
    expect(r.promptIds).toEqual([0, ...range(107, 7)]);
    expect(r.promptIds).toHaveLength(8);
  });

  it('then cuts every response to max_length - max_prompt_length', () => {
    const r = truncatePromptAndResponses(range(100, 15), [range(0, 30), range(0, 13), range(0, 5)], opts);
    expect(r.promptIds).toHaveLength(8);
    expect(r.responseIds).toEqual([range(0, 12), range(0, 12), range(0, 5)]);
    expect(r.responsesTruncated).toEqual([true, true, false]);
  });

  it('cuts long responses even after a short prompt, judged by the longest response (as TRL)', () => {
    const r = truncatePromptAndResponses(range(100, 3), [range(0, 25), range(0, 16)], opts);
    expect(r.promptIds).toEqual(range(100, 3));
    expect(r.responseIds.map((x) => x.length)).toEqual([12, 12]);
  });

  it('validates the lengths', () => {
    expect(() => truncatePromptAndResponses([1], [[2]], { maxLength: 8, maxPromptLength: 8 })).toThrow(/max_prompt_length < max_length/);
  });
});

describe('tokenizeRow', () => {
  const { tokenizerJson, tokenizerConfig } = trainBpeTokenizer({ corpus: syntheticCorpus({ documents: 500 }), vocabSize: 400 });
  const tok = createTokenizer(tokenizerJson, tokenizerConfig);

  it('gives prompt ids with one BOS and the generation prompt, responses ending with <|end|>', () => {
    const row = tokenizeRow('The cat likes the answer?', ['A dog reads.', 'Three apples!'], { tokenizer: tok });
    expect(row.promptIds[0]).toBe(tok.bosId);
    expect(row.promptIds.filter((id) => id === tok.bosId)).toHaveLength(1);
    expect(row.promptIds.slice(-2)).toEqual([tok.tokenToId('<|assistant|>'), ...tok.encode('\n', { addSpecialTokens: false })]);
    for (const r of row.responseIds) expect(r.at(-1)).toBe(tok.tokenToId('<|end|>'));
    const full = renderChat(tokenizerConfig.chat_template as string, [
      { role: 'user', content: 'The cat likes the answer?' },
      { role: 'assistant', content: 'Three apples!' },
    ], { bosToken: tok.bosToken });
    expect(tok.decode([...row.promptIds, ...(row.responseIds[1] as number[])])).toBe(full);
  });

  it('truncates with the given lengths, keeping BOS', () => {
    const long = 'the teacher explains the question '.repeat(20);
    const row = tokenizeRow(long, ['every student answers '.repeat(20)], { tokenizer: tok, maxLength: 64, maxPromptLength: 24 });
    expect(row.promptIds).toHaveLength(24);
    expect(row.promptIds[0]).toBe(tok.bosId);
    expect(row.responseIds[0]).toHaveLength(40);
    expect(row.promptTruncated).toBe(true);
    expect(row.responsesTruncated).toEqual([true]);
  });
});

describe('bucketLength and collateSequences', () => {
  it('rounds lengths up to buckets', () => {
    expect(bucketLength(1)).toBe(16);
    expect(bucketLength(16)).toBe(16);
    expect(bucketLength(17)).toBe(32);
    expect(bucketLength(33, { powerOfTwo: true })).toBe(64);
    expect(bucketLength(5, { powerOfTwo: true, multiple: 8 })).toBe(8);
    expect(bucketLength(1000, { maxLength: 1010 })).toBe(1008);
    expect(bucketLength(1009, { maxLength: 1010 })).toBe(1010);
    expect(() => bucketLength(30, { maxLength: 20 })).toThrow(/exceeds max_length 20/);
  });

  it('right-pads rows into int64 tensors with masks, position ids and filler rows', () => {
    const b = collateSequences(
      [
        { promptIds: [0, 5, 6], responseIds: [7, 8] },
        { promptIds: [0, 9], responseIds: [10, 11, 12, 13, 14] },
      ],
      { padId: 2, batchSize: 3, multiple: 4 },
    );
    expect(b.seqLen).toBe(8);
    expect(b.batchSize).toBe(3);
    expect(b.rows).toBe(2);
    const rows = (a: BigInt64Array): number[][] => [0, 1, 2].map((r) => Array.from(a.subarray(r * 8, r * 8 + 8), Number));
    expect(rows(b.inputIds)).toEqual([
      [0, 5, 6, 7, 8, 2, 2, 2],
      [0, 9, 10, 11, 12, 13, 14, 2],
      [2, 2, 2, 2, 2, 2, 2, 2],
    ]);
    expect(rows(b.attentionMask)).toEqual([
      [1, 1, 1, 1, 1, 0, 0, 0],
      [1, 1, 1, 1, 1, 1, 1, 0],
      [1, 0, 0, 0, 0, 0, 0, 0],
    ]);
    expect(rows(b.responseMask)).toEqual([
      [0, 0, 0, 1, 1, 0, 0, 0],
      [0, 0, 1, 1, 1, 1, 1, 0],
      [0, 0, 0, 0, 0, 0, 0, 0],
    ]);
    expect(rows(b.positionIds)).toEqual([
      [0, 1, 2, 3, 4, 1, 1, 1],
      [0, 1, 2, 3, 4, 5, 6, 1],
      [0, 1, 1, 1, 1, 1, 1, 1],
    ]);
    expect(Array.from(b.rowMask)).toEqual([1, 1, 0]);
  });

  it('refuses rows that do not fit', () => {
    expect(() => collateSequences([{ promptIds: [1, 2, 3], responseIds: [4] }], { padId: 0, seqLen: 3 })).toThrow(/does not fit seqLen 3/);
    expect(() => collateSequences([{ promptIds: [1], responseIds: [] }, { promptIds: [1], responseIds: [] }], { padId: 0, batchSize: 1 })).toThrow(
      /2 rows do not fit batchSize 1/,
    );
  });
});
